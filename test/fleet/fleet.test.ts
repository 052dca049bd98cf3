import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunResults } from '../../src/results/schema.js';
import { resolveStoreLocation } from '../../src/store/location.js';
import { ResultsStore } from '../../src/store/store.js';
import { tempDir, writeTinyModel } from '../bench/tiny-model.js';
import { REPO_ROOT } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';
import { createDatabase } from '../helpers/postgres.js';
import { childProcessesWith, spawnCli, waitFor, type CliProcess } from './support.js';

/**
 * The fleet end to end on a real PostgreSQL: real agent processes on this host, a real SIGKILL in
 * the middle of a job, a submitter killed before its commit, a corrupt model and a job past its
 * time limit. Lease times are short here so that recovery shows within the test.
 */
const dir = tempDir('edgeopt-fleet-test-');
let url: string;
let password: string;
let store: ResultsStore;
const agents: CliProcess[] = [];

const agentArgs = (device: string) => ['agent', '--store', url, '--device', device, '--tag', 'x86', '--poll-s', '0.2', '--heartbeat-s', '1', '--lease-check-s', '1'];
const tinyBench = ['--runs', '6', '--rounds', '1', '--warmup', '1', '--max-runs', '6'];

beforeAll(async () => {
  url = await createDatabase(inject('postgresUrl'), 'fleet_e2e');
  password = url.match(/:(pw-[0-9a-f]+)@/)![1]!;
  store = await ResultsStore.open(resolveStoreLocation(url));
});

afterAll(async () => {
  for (const a of agents) a.child.kill('SIGKILL');
  await store?.close();
  dir.remove();
});

const count = async (sql: string, params: Array<string | number> = []) => Number((await store.db.all<{ n: number }>(sql, params))[0]!.n);

describe('edgeopt fleet', () => {
  it('a submitter killed before its commit leaves nothing behind', async () => {
    const model = await writeTinyModel(dir.path, 'lost.onnx');
    const r = await runCli(['fleet', 'submit', '--store', url, '--wait-for-device', '--tag', 'x86', ...tinyBench, model], { env: { EDGEOPT_FAULT: 'submit-before-commit' } });
    expect(r.status).toBe(null); // killed by its own SIGKILL, inside the transaction
    expect(await count('SELECT COUNT(*) AS n FROM submissions')).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM fleet_jobs')).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM model_blobs')).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM pgboss.job WHERE name LIKE 'edgeopt-%'")).toBe(0);
  });

  it('runs every job once per host, survives an agent killed mid-job, and records each result exactly once', async () => {
    const a = await writeTinyModel(dir.path, 'tiny_a.onnx');
    const b = await writeTinyModel(dir.path, 'tiny_b.onnx');
    const corrupt = join(dir.path, 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from('this is not an onnx model'));
    // Short leases: a job whose agent vanishes is handed out again ~15 s after it was taken.
    const submit = await runCli(['fleet', 'submit', '--store', url, '--wait-for-device', '--tag', 'x86', ...tinyBench, '--timeout-s', '12', '--lease-grace-s', '2', a, b, corrupt]);
    expect(submit.status, submit.stderr).toBe(0);
    const submissionId = submit.stdout.trim();
    expect(submissionId).toMatch(/^[0-9a-f-]{36}$/);
    // pg-boss hands out jobs by (created_on, id) and one submission has one created_on: the ids keep its order.
    const order = await store.db.all<{ variant: string }>('SELECT variant FROM fleet_jobs WHERE submission_id = ? ORDER BY id', [submissionId]);
    expect(order.map((j) => j.variant)).toEqual(['tiny_a', 'tiny_b', 'corrupt']);
    // A job that would run far past its 3 s limit: killed at it, recorded as failed.
    const slow = await runCli(['fleet', 'submit', '--store', url, '--wait-for-device', '--device', 'dev-b', '--runs', '100000', '--rounds', '1', '--max-runs', '100000', '--timeout-s', '3', '--lease-grace-s', '2', a]);
    expect(slow.status, slow.stderr).toBe(0);

    agents.push(spawnCli(agentArgs('dev-a')), spawnCli(agentArgs('dev-b')));
    // Kill whichever agent is the first to be running a job, while it runs it.
    const victim = await waitFor('a running job', async () => {
      const rows = await store.db.all<{ agent_id: string; id: string }>("SELECT agent_id, id FROM fleet_jobs WHERE state = 'running'");
      if (!rows[0]) return undefined;
      const agent = await store.db.all<{ pid: number; device: string }>('SELECT pid, device FROM agents WHERE id = ?', [rows[0].agent_id]);
      return { jobId: rows[0].id, pid: Number(agent[0]!.pid), device: agent[0]!.device };
    }, 180_000, 100);
    const killed = agents.find((p) => p.child.pid === victim.pid)!;
    expect(killed).toBeDefined();
    killed.child.kill('SIGKILL');
    expect((await killed.exited).signal).toBe('SIGKILL');
    // Restarted, as a supervisor (systemd) would.
    agents.push(spawnCli(agentArgs(victim.device)));

    await waitFor('every job finished', async () => (await count("SELECT COUNT(*) AS n FROM fleet_jobs WHERE state IN ('queued', 'running')")) === 0, 240_000, 500);
    // The job past its time limit was killed at it: no measurement process (nor runner) outlives its job.
    expect(childProcessesWith(agents.map((a) => a.child.pid!), join(REPO_ROOT, 'src', 'bench', 'worker.ts'))).toEqual([]);
    expect(childProcessesWith(agents.map((a) => a.child.pid!), join(REPO_ROOT, 'src', 'fleet', 'runner.ts'))).toEqual([]);
    const jobs = await store.db.all<{ id: string; state: string; error: string | null; attempts: number; variant: string; target: string; started_at: string; finished_at: string }>('SELECT * FROM fleet_jobs ORDER BY started_at');
    expect(jobs).toHaveLength(4);
    // Exactly one run record per job, the killed one included.
    for (const job of jobs) expect(await count('SELECT COUNT(*) AS n FROM runs WHERE job_id = ?', [job.id])).toBe(1);
    const retried = jobs.find((j) => j.id === victim.jobId)!;
    expect(retried.attempts).toBeGreaterThanOrEqual(2);
    const byVariant = Object.fromEntries(jobs.map((j) => [`${j.variant}${j.target === 'device:dev-b' ? ':slow' : ''}`, j]));
    const summary = JSON.stringify(jobs.map((j) => [j.variant, j.target, j.state, j.error]));
    expect(byVariant.tiny_a?.state, summary).toBe('done');
    expect(byVariant.tiny_b?.state, summary).toBe('done');
    expect(byVariant.corrupt?.state, summary).toBe('failed');
    expect(byVariant.corrupt!.error).toMatch(/^controlled\/1: .*(protobuf|parse|invalid|load)/i);
    expect(byVariant['tiny_a:slow']?.error, summary).toMatch(/timed out after 3 s/);
    // One job at a time on this host: finished jobs never overlap.
    for (let i = 1; i < jobs.length; i++) expect(jobs[i]!.started_at >= jobs[i - 1]!.finished_at).toBe(true);
    // The queue agrees: every job completed in pg-boss, none left active.
    expect(await count("SELECT COUNT(*) AS n FROM pgboss.job WHERE name LIKE 'edgeopt-%' AND state <> 'completed'")).toBe(0);

    const runs = await store.runs({ submissionId });
    expect(runs.filter((r) => r.status === 'complete').map((r) => r.latencies[0]!.variant).sort()).toEqual(['tiny_a', 'tiny_b']);
    expect(runs[0]!.provenance).toMatchObject({ cpuModel: expect.any(String) });

    const status = await runCli(['fleet', 'status', '--store', url, '--json']);
    expect(status.status, status.stderr).toBe(0);
    const s = JSON.parse(status.stdout) as { devices: Array<{ name: string; provenance: { providers: string[]; memoryBytes: number } }>; submissions: Array<{ id: string; states: Record<string, number> }> };
    expect(s.devices.map((d) => d.name)).toEqual(['dev-a', 'dev-b']);
    expect(s.devices[0]!.provenance.providers).toContain('cpu');
    expect(s.devices[0]!.provenance.memoryBytes).toBeGreaterThan(0);
    expect(s.submissions.find((x) => x.id === submissionId)!.states).toEqual({ queued: 0, running: 0, done: 2, failed: 1 });
    // Per device: every job counted once, under the device that ran it.
    const byDevice = (JSON.parse(status.stdout) as { byDevice: Record<string, Record<'queued' | 'running' | 'done' | 'failed', number>> }).byDevice;
    expect(Object.keys(byDevice).filter((k) => k !== 'dev-a' && k !== 'dev-b')).toEqual([]);
    expect(Object.values(byDevice).reduce((n, c) => n + c.done + c.failed, 0)).toBe(4);
    expect(byDevice['dev-b']!.failed).toBeGreaterThanOrEqual(1); // the job past its time limit ran there
    const text = await runCli(['fleet', 'status', '--store', url]);
    expect(text.stdout).toMatch(/^devices\n\s+device\s+kind\s+last seen/);

    // The cross-device report: every variant on the device that ran it, the failure named, results.json readable.
    const out = join(dir.path, 'report');
    const report = await runCli(['fleet', 'report', '--store', url, '--submission', submissionId.slice(0, 8), '-o', out]);
    expect(report.status, report.stderr).toBe(2); // partial: the corrupt model's job failed
    expect(report.stdout).toMatch(/^submission [0-9a-f-]{36}: tiny_a, 2\/3 jobs done\non dev-[ab]: /);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    expect(results.schemaVersion).toBe(1);
    expect(results.variants.map((v) => v.name)).toEqual(['tiny_a', 'tiny_b', 'corrupt']);
    expect(results.variants[2]!.errors[0]).toMatch(/^dev-[ab]: controlled\/1: /);
    const measured = results.devices!.flatMap((d) => d.results.map((r) => `${d.device.name}:${r.variant}:${r.scenario}`));
    expect(measured).toHaveLength(2);
    expect(results.devices![0]!.device.provenance!.providers).toContain('cpu');
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/## Latency per variant and device: controlled/);
    expect(md).toMatch(/\| tiny_a \| 0\.00 \|/);
    expect(md).toMatch(/## Failed jobs\n\n- bench corrupt on dev-[ab]: controlled\/1: /);
    expect(existsSync(join(out, 'devices.svg'))).toBe(true);

    // SIGTERM: an idle agent stops at once, cleanly.
    const live = agents.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of live) p.child.kill('SIGTERM');
    for (const p of live) expect((await p.exited).code).toBe(0);
    for (const p of agents) expect(p.output()).not.toContain(password);
    for (const out of [submit, slow, status, text, report]) expect(out.stdout + out.stderr).not.toContain(password);
  }, 400_000);

  it('refuses an SQLite store with one sentence', async () => {
    const r = await runCli(['fleet', 'status', '--store', join(dir.path, 'local.db')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^edgeopt: error: fleet status needs a PostgreSQL store \(--store postgres:\/\/… or \$EDGEOPT_STORE\); .*local\.db is a local SQLite file\n$/);
    expect(existsSync(join(dir.path, 'local.db'))).toBe(false);
  });
});
