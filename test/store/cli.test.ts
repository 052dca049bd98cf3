import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { localDevice } from '../../src/store/device.js';
import { resolveStoreLocation } from '../../src/store/location.js';
import type { LatencyRecord, NewRun } from '../../src/store/records.js';
import { ResultsStore } from '../../src/store/store.js';
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

  it('history compares two runs and says which differences are beyond noise (95% CIs of the medians), on an SQLite file', async () => {
    const file = join(dir.path, 'compare.db');
    const store = await ResultsStore.open(resolveStoreLocation(file));
    const latency = (variant: string, p50Ms: number, medianCi95: [number, number]): LatencyRecord => ({
      variant, scenario: 'controlled', threads: 1, provider: 'cpu', runs: 100, p50Ms, medianCi95, stats: { runs: 100, p50Ms } as never,
    });
    const base: Omit<NewRun, 'latencies'> = { kind: 'bench', device: 'zen5', toolVersion: '0.1.0', modelName: 'yolo', status: 'complete', settings: {}, provenance: {}, errors: [], accuracies: [] };
    await store.upsertDevice({ ...localDevice(), name: 'zen5' });
    const first = await store.recordRun({ ...base, createdAt: '2026-11-01T10:00:00.000Z', latencies: [latency('fp32', 40, [39.6, 40.4]), latency('int8-static', 21, [20.8, 21.2])] });
    const second = await store.recordRun({ ...base, createdAt: '2026-11-02T10:00:00.000Z', latencies: [latency('fp32', 40.2, [39.7, 40.6]), latency('int8-static', 25.2, [24.9, 25.5])] });
    await store.close();
    // Given newest first: the comparison still reads older → newer.
    const [text, json, one, unknown] = await Promise.all([
      runCli(['history', '--store', file, '--compare', second.id.slice(0, 8), first.id.slice(0, 8)]),
      runCli(['history', '--store', file, '--json']),
      runCli(['history', '--store', file, '--compare', first.id]),
      runCli(['history', '--store', file, '--compare', first.id, 'ffffffff']),
    ]);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain("comparison (beyond noise = the medians' 95% CIs do not overlap):\n");
    expect(text.stdout).toContain('  yolo fp32 on zen5 (controlled, 1 thr): 40.0 [39.6, 40.4] → 40.2 [39.7, 40.6] ms, within noise (95% CIs overlap)\n');
    expect(text.stdout).toContain('  yolo int8-static on zen5 (controlled, 1 thr): 1.20x slower, beyond noise: 21.0 [20.8, 21.2] → 25.2 [24.9, 25.5] ms\n');
    // Without --compare: the latest measurement of each series against the one before it.
    const changes = (JSON.parse(json.stdout) as { changes: Array<{ variant: string; verdict: string; before: { runId: string }; after: { runId: string } }> }).changes;
    expect(changes.map((c) => [c.variant, c.verdict, c.before.runId, c.after.runId])).toEqual([
      ['fp32', 'within noise', first.id, second.id],
      ['int8-static', 'slower', first.id, second.id],
    ]);
    expect(one.status).toBe(1);
    expect(one.stderr).toBe('edgeopt: error: --compare takes exactly two run ids\n');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^edgeopt: error: no run 'ffffffff' in .*compare\.db\n$/);
  });
});
