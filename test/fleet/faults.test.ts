import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadModel, saveModel } from '../../src/onnx/model-io.js';
import { sha256File } from '../../src/store/capture.js';
import { resolveStoreLocation } from '../../src/store/location.js';
import { ResultsStore } from '../../src/store/store.js';
import { tempDir, writeTinyModel } from '../bench/tiny-model.js';
import { REPO_ROOT } from '../helpers/assets.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { createDatabase } from '../helpers/postgres.js';
import { spawnCli, waitFor } from './support.js';

/**
 * The agent's defences, on a real PostgreSQL with a real agent process: a model whose stored bytes
 * no longer match their sha256 is refused, a corrupted cache file is fetched again, a job whose
 * execution provider does not load fails with its reason — and none of them blocks the job behind
 * it. Then bad input to every fleet command: one line, a non-zero exit, no credential.
 */
const dir = tempDir('edgeopt-fleet-faults-');
const home = join(dir.path, 'agent-home');
let url: string;
let password: string;
let store: ResultsStore;

beforeAll(async () => {
  url = await createDatabase(inject('postgresUrl'), 'fleet_faults');
  password = url.match(/:(pw-[0-9a-f]+)@/)![1]!;
  store = await ResultsStore.open(resolveStoreLocation(url));
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

const agentArgs = (...extra: string[]) => ['agent', '--store', url, '--device', 'dev-c', '--tag', 'faults', '--poll-s', '0.2', ...extra];
const tinyBench = ['--runs', '3', '--rounds', '1', '--warmup', '0', '--max-runs', '3'];

async function submit(args: string[]): Promise<string> {
  const r = await runCli(['fleet', 'submit', '--store', url, '--device', 'dev-c', ...tinyBench, ...args]);
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

describe('fleet agent defences', () => {
  it('refuses a model whose bytes do not match its sha256, re-fetches a corrupted cache file, and fails a missing provider with one line, without blocking the queue', async () => {
    // Register the device, then stop the agent: an idle agent stops at SIGTERM, cleanly.
    const first = spawnCli(agentArgs(), { EDGEOPT_HOME: home });
    await waitFor('the agent registered', async () => (await store.db.all("SELECT id FROM agents WHERE device = 'dev-c'")).length > 0, 120_000, 200);
    first.child.kill('SIGTERM');
    expect((await first.exited).code, first.output()).toBe(0);
    const status = await runCli(['fleet', 'status', '--store', url, '--json']);
    const device = (JSON.parse(status.stdout) as { devices: Array<{ name: string; provenance: Record<string, unknown> & { isa: { flags: string[] }; runtime: { version: string } } }> }).devices[0]!;
    // The provenance an agent registers with: CPU, ISA flags, cores, memory, OS, onnxruntime, providers that load.
    expect(device.name).toBe('dev-c');
    expect(device.provenance).toMatchObject({ cpuModel: expect.any(String), cores: expect.any(Number), memoryBytes: expect.any(Number), os: expect.stringMatching(/Linux/), providers: ['cpu'] });
    expect(device.provenance.isa.flags.length).toBeGreaterThan(0);
    const ortVersion = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8')) as { version: string }).version;
    expect(device.provenance.runtime.version).toBe(ortVersion);

    const good = await writeTinyModel(dir.path, 'good.onnx');
    const other = await loadModel(good);
    other.producerVersion = 'another-file';
    const tamperedPath = join(dir.path, 'tampered.onnx');
    await saveModel(other, tamperedPath);
    const tamperedSha = await sha256File(tamperedPath);
    const goodSha = await sha256File(good);
    // Submitted in this order; pg-boss hands them out in it.
    await submit([tamperedPath]);
    await submit(['--providers', 'cuda', good]);
    await submit([good]);
    // The store's copy changes after submission (a bit flip, a malicious writer)...
    await store.db.run('UPDATE model_blobs SET data = ? WHERE sha256 = ?', [Buffer.from('not the submitted bytes'), tamperedSha]);
    // ...and so does the agent's cached copy of the good model.
    const cache = join(home, 'models');
    mkdirSync(cache, { recursive: true });
    writeFileSync(join(cache, `${goodSha}.onnx`), 'corrupted cache file');

    const agent = spawnCli(agentArgs('--max-jobs', '3'), { EDGEOPT_HOME: home });
    expect((await agent.exited).code, agent.output()).toBe(0);
    const jobs = await store.db.all<{ variant: string; state: string; error: string | null; model_sha256: string }>('SELECT j.variant, j.state, j.error, j.model_sha256 FROM fleet_jobs j JOIN submissions s ON s.id = j.submission_id ORDER BY s.created_at');
    const summary = JSON.stringify(jobs);
    expect(jobs.map((j) => j.state), summary).toEqual(['failed', 'failed', 'done']);
    expect(jobs[0]!.error).toMatch(/^model tampered: the stored bytes hash to [0-9a-f]{12}…, not [0-9a-f]{12}…; refusing to run it$/);
    expect(jobs[1]!.error).toMatch(/cuda/);
    for (const j of jobs) expect(j.error ?? '').not.toContain('\n');
    // Nothing of the tampered file reached the cache; the good one was fetched again and matches.
    expect(existsSync(join(cache, `${tamperedSha}.onnx`))).toBe(false);
    expect(await sha256File(join(cache, `${goodSha}.onnx`))).toBe(goodSha);
    expect(readdirSync(cache).filter((f) => !f.endsWith('.onnx'))).toEqual([]);
    // Every job recorded once, the failures with their reason.
    const runs = await store.db.all<{ status: string; errors: string }>("SELECT status, errors FROM runs WHERE kind = 'fleet' ORDER BY created_at");
    expect(runs.map((r) => r.status)).toEqual(['failed', 'failed', 'complete']);
    expect(agent.output()).not.toContain(password);
  }, 300_000);

  it('gives one clear line and a non-zero exit for bad input to every fleet command, never a credential', async () => {
    const model = await writeTinyModel(dir.path, 'input.onnx');
    const unreachable = 'postgres://edgeopt:topsecret@localhost/none?host=/nonexistent-dir';
    const wrongPassword = url.replace(password, 'wrong-secret');
    const sqlite = join(dir.path, 'not-created.db');
    const cases: Array<[string[], RegExp]> = [
      [['fleet', 'submit', '--store', unreachable, '--tag', 'faults', model], /^results store postgres:\/\/edgeopt:\*\*\*@localhost\/none\?host=\/nonexistent-dir: connect ENOENT/],
      [['fleet', 'status', '--store', unreachable], /^results store postgres:\/\/edgeopt:\*\*\*@localhost/],
      [['fleet', 'report', '--store', unreachable, '-o', join(dir.path, 'r')], /^results store postgres:\/\/edgeopt:\*\*\*@localhost/],
      [['agent', '--store', unreachable, '--device', 'dev-c'], /^results store postgres:\/\/edgeopt:\*\*\*@localhost/],
      [['fleet', 'status', '--store', wrongPassword], /^results store postgres:\/\/edgeopt:\*\*\*@localhost\/fleet_faults.*: password authentication failed for user "edgeopt"$/],
      [['agent', '--store', sqlite, '--device', 'dev-c'], /^edgeopt agent needs a PostgreSQL store \(--store postgres:\/\/… or \$EDGEOPT_STORE\); .*not-created\.db is a local SQLite file$/],
      [['fleet', 'status', '--store', 'mysql://u:hunter2@db/x'], /^--store: unsupported store 'mysql:\/\/u:\*\*\*@db\/x'/],
      [['fleet', 'submit', '--store', url, '--device', 'nosuch', model], /^--device nosuch: no agent has registered device 'nosuch' \(known devices: dev-c\); start `edgeopt agent --device nosuch` there first, or pass --wait-for-device$/],
      [['fleet', 'submit', '--store', url, '--tag', 'arm64', model], /^--tag arm64: no registered device carries tag 'arm64' \(known tags: faults\)/],
      [['fleet', 'submit', '--store', url, model], /^name at least one --device NAME or --tag TAG to run on$/],
      [['fleet', 'submit', '--store', url, '--device', 'bad name!', model], /^--device 'bad name!': use letters, digits/],
      [['fleet', 'submit', '--store', url, '--tag', 'faults', '--runs', '0', model], /--runs must be an integer from 1 to 100000, got '0'$/],
      [['fleet', 'submit', '--store', url, '--tag', 'faults', '--timeout-s', '1e9', model], /--timeout-s must be an integer from 1 to 21600/],
      [['fleet', 'submit', '--store', url, '--tag', 'faults', '--runs', '50', '--max-runs', '10', model], /^--max-runs \(10\) must be at least --runs \(50\)$/],
      [['fleet', 'submit', '--store', url, '--tag', 'faults', '--providers', 'gpu9000', model], /^unknown execution provider\(s\) gpu9000/],
      [['fleet', 'submit', '--store', url, '--tag', 'faults', join(dir.path, 'missing.onnx')], /^model not found: /],
      [['fleet', 'report', '--store', url, '--submission', 'deadbeef', '-o', join(dir.path, 'r')], /^no submission 'deadbeef' in postgres:\/\/edgeopt:\*\*\*@localhost/],
      [['fleet', 'report', '--store', url], /^required option '-o, --output <dir>' not specified$/],
      [['agent', '--store', url, '--device', 'dev-c', '--poll-s', '0'], /--poll-s must be a number from 0\.05 to 600, got '0'$/],
      [['agent', '--store', url, '--device', 'dev-c', '--eval-data', join(dir.path, 'no-dataset')], /^--eval-data: .*no-dataset not found$/],
    ];
    const submissionsBefore = (await store.db.all('SELECT id FROM submissions')).length;
    const results: CliResult[] = [];
    // Four at a time: each is a whole CLI process.
    for (let i = 0; i < cases.length; i += 4) results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args]) => runCli(args, { timeoutMs: 60_000 })))));
    cases.forEach(([args, message], i) => {
      const r = results[i]!;
      const what = `${args.slice(0, 2).join(' ')} … → ${r.stderr}`;
      expect(r.status, what).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, what).toHaveLength(1);
      expect(lines[0]!.replace(/^edgeopt: error: /, ''), what).toMatch(message);
      expect(lines[0], what).toMatch(/^edgeopt: error: /);
      expect(r.stdout, what).toBe('');
      for (const secret of [password, 'topsecret', 'wrong-secret', 'hunter2']) expect(r.stderr, what).not.toContain(secret);
    });
    expect(existsSync(sqlite)).toBe(false);
    expect((await store.db.all('SELECT id FROM submissions')).length).toBe(submissionsBefore);
  }, 300_000);
});
