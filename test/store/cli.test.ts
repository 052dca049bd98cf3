import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { createDatabase } from '../helpers/postgres.js';
import { tempDir, writeTinyModel } from '../bench/tiny-model.js';

const dir = tempDir('edgeopt-history-cli-');
afterAll(() => dir.remove());

describe('edgeopt bench records in the store, edgeopt history reads it', () => {
  it('on PostgreSQL, without ever printing the password', async () => {
    const url = await createDatabase(inject('postgresUrl'), 'history_cli');
    const password = url.match(/:(pw-[0-9a-f]+)@/)![1]!;
    const model = await writeTinyModel(dir.path);
    const bench = await runCli(['bench', model, '--runs', '6', '--rounds', '1', '--warmup', '1', '--max-runs', '6', '--store', url]);
    expect(bench.status, bench.stderr).toBe(0);
    expect(bench.stderr).toMatch(/recorded run [0-9a-f]{8} in postgres:\/\/edgeopt:\*\*\*@localhost/);
    const history = await runCli(['history', '--store', url, '--json']);
    expect(history.status, history.stderr).toBe(0);
    const { runs } = JSON.parse(history.stdout) as { runs: Array<{ kind: string; modelName: string; latencies: Array<{ scenario: string; runs: number; p50Ms: number; modelSha256: string }>; provenance: { cpuModel: string } }> };
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ kind: 'bench', modelName: 'tiny' });
    expect(runs[0]!.latencies[0]).toMatchObject({ scenario: 'controlled', runs: 6 });
    expect(runs[0]!.latencies[0]!.modelSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(runs[0]!.provenance.cpuModel).toBeTruthy();
    const table = await runCli(['history', '--store', url, '--model', 'tiny']);
    expect(table.stdout).toMatch(/bench\s+\S+\s+tiny\s+tiny\s+controlled\s+1\s+/);
    for (const out of [bench.stdout, bench.stderr, history.stdout, history.stderr, table.stdout, table.stderr]) expect(out).not.toContain(password);
  });

  it('fails with one line on a store it cannot reach or parse', async () => {
    const bad = await runCli(['history', '--store', 'postgres://edgeopt:topsecret@localhost/none?host=/nonexistent-dir']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^edgeopt: error: results store postgres:\/\/edgeopt:\*\*\*@localhost/);
    expect(bad.stderr).not.toContain('topsecret');
    const odd = await runCli(['history', '--store', 'ftp://x/y']);
    expect(odd.stderr).toMatch(/^edgeopt: error: --store: unsupported store/);
  });
});
