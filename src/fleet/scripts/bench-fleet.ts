/**
 * `npm run bench:fleet`: the fleet's targets, measured on this machine with real agent processes on
 * a throwaway PostgreSQL cluster (or `--store postgres://…`).
 *
 * 1. Throughput: N small jobs (a tiny ONNX model, 1 timed run each; default 1000) through 8 agents.
 *    Checks none lost and none recorded twice, and measures the queue's dispatch overhead per job:
 *    (wall time − time inside the job runners) / N, with the fetch and prepare medians beside it.
 *    Then the same with 2 of the 8 agents SIGKILLed mid-run and restarted.
 * 2. Cross-device agreement (--yolo, needs ../shared/assets): two agents as two devices run one
 *    submission of YOLOv5nu FP32, dynamic INT8 and static INT8; their p50s are compared with a local
 *    benchmark of the same files under the same protocol — one model per harness call, as a fleet
 *    job runs — that takes its turns in the agents' host-lock queue, so each fleet job is bracketed by
 *    local runs of its file just before and after it, pooled (target: within 5%, PASS/FAIL per variant
 *    and device). Where the two local runs differ by more than 5%, the machine moved more than the
 *    tolerance during the comparison: that file is submitted again, up to twice (MOVED if it still does). The interleaved 3-model call is printed beside it for the record. Measure
 *    this on a quiet machine: other work on the CPU moves both sides.
 * Options: --jobs N, --agents N, --no-kill, --only-kill, --yolo, --only-yolo, --runs N (YOLO), --store URL.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchmarkModels, type BenchResult } from '../../bench/benchmark.js';
import { machineProvenance } from '../../bench/provenance.js';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../onnx/builder.js';
import { saveModel } from '../../onnx/model-io.js';
import { makeTensor } from '../../onnx/tensor.js';
import { DataType } from '../../onnx/types.js';
import { resolveStoreLocation } from '../../store/location.js';
import { ResultsStore } from '../../store/store.js';
import { hostLockArgs } from '../agent.js';
import { hostId } from '../../store/device.js';
import { createDatabase, startTestCluster, type TestCluster } from './throwaway-cluster.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const flag = (name: string) => process.argv.includes(name);
const argText = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1]! + s[s.length >> 1]!) / 2 : NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function agent(url: string, device: string, tags: string[]): ChildProcess {
  const args = [CLI, 'agent', '--store', url, '--device', device, ...tags.flatMap((t) => ['--tag', t]), '--poll-s', '0.05', '--heartbeat-s', '2', '--lease-check-s', '1', '-q'];
  return spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function tinyModel(dir: string): Promise<string> {
  const graph = makeGraph({
    node: [makeNode('Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'conv' })],
    initializer: [makeTensor('w', new Float32Array(8 * 3 * 3 * 3).fill(0.05), [8, 3, 3, 3])],
    input: [makeValueInfo('x', DataType.FLOAT, [1, 3, 16, 16])],
    output: [makeValueInfo('y', DataType.FLOAT, [1, 8, 16, 16])],
  });
  const path = join(dir, 'tiny.onnx');
  await saveModel(makeModel(graph, { opset: 17 }), path);
  return path;
}

async function stop(agents: ChildProcess[]): Promise<void> {
  await Promise.all(agents.map((a) => new Promise<void>((r) => (a.exitCode !== null || a.signalCode !== null ? r() : (a.once('exit', () => r()), a.kill('SIGTERM'))))));
}

interface Timing { lockMs: number; fetchMs: number; prepareMs: number; runMs: number }

async function throughput(url: string, dir: string, jobs: number, agentCount: number, kill: boolean): Promise<boolean> {
  const store = await ResultsStore.open(resolveStoreLocation(url));
  try {
    const model = await tinyModel(dir);
    // The floor: the same small job through the harness alone, with no queue, agent or database (one
    // fresh measurement process per job; node start + onnxruntime load + session dominate it).
    const floorMs: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      await benchmarkModels([model], { scenarios: ['controlled'], runs: 1, warmup: 0, rounds: 1, maxRuns: 1 });
      floorMs.push(performance.now() - t);
    }
    const names = Array.from({ length: agentCount }, (_, i) => `host-agent-${i + 1}`);
    const agents = names.map((n) => agent(url, n, ['tiny']));
    // Agents register (after their provider probe) before the clock starts.
    while (Number((await store.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM agents WHERE state <> 'stopped'"))[0]!.n) < agentCount) await sleep(200);
    const t0 = Date.now();
    const submit = cli(['fleet', 'submit', '--store', url, '--wait-for-device', '--tag', 'tiny', '--repeat', String(jobs), '--runs', '1', '--warmup', '0', '--rounds', '1', '--max-runs', '1', '--timeout-s', '20', '--lease-grace-s', '2', model]);
    if (submit.status !== 0) throw new Error(submit.stderr);
    const submitMs = Date.now() - t0;
    const counts = async () => {
      const rows = await store.db.all<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM fleet_jobs GROUP BY state');
      return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)])) as Record<string, number>;
    };
    // Agents SIGKILLed so far, and how many of them died holding a running job (the case that must be retried).
    let killed = 0;
    let killedMidJob = 0;
    let killAttempts = 0;
    for (;;) {
      const c = await counts();
      const finished = (c.done ?? 0) + (c.failed ?? 0);
      if (kill && killedMidJob === 0 && killAttempts < 3 && finished >= jobs * (0.2 + 0.1 * killAttempts)) {
        // Two agents die mid-run (SIGKILL: no clean-up at all) — the one running a job, and one waiting for the
        // host lock — and are restarted a second later. A tiny job runs for ~150 ms, so the kill follows the
        // sighting at once; if the job still finished first, nothing needed a retry and the bench tries again
        // later in the run (at most three times), counting every agent it killed.
        killAttempts++;
        let busy = -1;
        let jobId: string | undefined;
        for (let tries = 0; busy < 0 && tries < 400; tries++) {
          const running = await store.db.all<{ pid: number; id: string }>("SELECT a.pid, j.id FROM agents a JOIN fleet_jobs j ON j.agent_id = a.id WHERE j.state = 'running' AND a.state = 'running'");
          busy = agents.findIndex((a) => running.some((r) => Number(r.pid) === a.pid));
          jobId = running.find((r) => Number(r.pid) === agents[busy]?.pid)?.id;
          if (busy < 0) await sleep(10);
        }
        const victims = busy >= 0 ? [busy, (busy + 1) % agents.length] : [0, 1];
        for (const i of victims) agents[i]!.kill('SIGKILL');
        killed += victims.length;
        // Did the victim die holding its job? Then the job is still 'running' under its dead agent.
        if (jobId) {
          const [row] = await store.db.all<{ state: string }>('SELECT state FROM fleet_jobs WHERE id = ?', [jobId]);
          if (row?.state === 'running') killedMidJob++;
        }
        await sleep(1000);
        for (const i of victims) agents[i] = agent(url, names[i]!, ['tiny']);
      }
      if (finished >= jobs) break;
      await sleep(250);
    }
    const wallMs = Date.now() - t0;
    await stop(agents);
    const c = await counts();
    const runRows = await store.db.all<{ job_id: string; provenance: string }>("SELECT job_id, provenance FROM runs WHERE kind = 'fleet'");
    const dupes = await store.db.all("SELECT job_id FROM runs WHERE job_id IS NOT NULL GROUP BY job_id HAVING COUNT(*) > 1");
    const retried = Number((await store.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM fleet_jobs WHERE attempts > 1'))[0]!.n);
    const lost = Number((await store.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM fleet_jobs j WHERE NOT EXISTS (SELECT 1 FROM runs r WHERE r.job_id = j.id)'))[0]!.n);
    const timings = runRows.map((r) => (JSON.parse(r.provenance) as { timing?: Timing }).timing).filter((t): t is Timing => !!t);
    const runMs = timings.reduce((a, t) => a + t.runMs, 0);
    const overhead = (wallMs - submitMs - runMs) / jobs;
    console.log(`\n${jobs} jobs through ${agentCount} agents${kill ? `, ${killed} of them SIGKILLed during the run and restarted (${killedMidJob} while running a job; ${killAttempts} attempt${killAttempts === 1 ? '' : 's'})` : ''}:`);
    console.log(`  done ${c.done ?? 0}, failed ${c.failed ?? 0}, run records ${runRows.length}, jobs recorded twice ${dupes.length}, jobs without a record ${lost}, jobs re-run after a lost lease ${retried}`);
    console.log(`  wall ${(wallMs / 1000).toFixed(1)} s (submit ${(submitMs / 1000).toFixed(1)} s) → ${(jobs / (wallMs / 1000)).toFixed(2)} jobs/s, ${(wallMs / jobs).toFixed(0)} ms wall per job; inside the harness ${(runMs / jobs).toFixed(0)} ms per job (the same job through the harness alone, no fleet: median ${median(floorMs).toFixed(0)} ms)`);
    console.log(`  dispatch overhead per job (wall − submit − runner time) / N: ${overhead.toFixed(1)} ms${kill ? ' (includes the killed jobs\' lease wait)' : ''}; median fetch ${median(timings.map((t) => t.fetchMs)).toFixed(1)} ms, prepare ${median(timings.map((t) => t.prepareMs)).toFixed(1)} ms, host-lock wait ${median(timings.map((t) => t.lockMs)).toFixed(1)} ms`);
    // With kills, the killed agent's job must have been handed out again: otherwise nothing was tested.
    const good = (c.done ?? 0) === jobs && dupes.length === 0 && lost === 0 && runRows.length === jobs && (!kill || (retried >= 1 && killedMidJob >= 1));
    const load = os.loadavg()[0]!;
    console.log(`  ${good ? 'OK' : 'FAILED'}: ${good ? `none lost, none duplicated${kill ? `, the killed job re-run and recorded once` : ''}` : kill && killedMidJob === 0 ? 'no job was running in a killed agent' : kill && retried === 0 ? 'the killed agent\'s job was never run again' : 'jobs lost, failed or duplicated'}${!kill ? `; queue overhead target < 20 ms per job: ${overhead < 20 ? 'met' : 'not met'}` : ''} (load average now ${load.toFixed(1)} on ${os.availableParallelism()} cores${load > os.availableParallelism() * 0.75 ? ': a busy machine lengthens every round trip and the host-lock hand-over' : ''})`);
    return good;
  } finally {
    await store.close();
  }
}

async function crossDevice(url: string, dir: string, runs: number): Promise<boolean> {
  const assets = process.env.EDGEOPT_ASSETS ?? join(ROOT, '..', 'shared', 'assets');
  const source = join(assets, 'models', 'yolov5nu_fp32.onnx');
  if (!existsSync(source)) {
    console.log(`\ncross-device check skipped: ${source} not found (set EDGEOPT_ASSETS)`);
    return true;
  }
  const files = { fp32: join(dir, 'fp32.onnx'), dynamic: join(dir, 'int8-dynamic.onnx'), static: join(dir, 'int8-static.onnx') };
  const { copyFileSync } = await import('node:fs');
  copyFileSync(source, files.fp32);
  for (const [out, args] of [[files.dynamic, ['--mode', 'dynamic']], [files.static, ['--mode', 'static', '--calib', join(assets, 'coco128'), '--calib-limit', '32']]] as const) {
    const q = cli(['quantize', files.fp32, '-o', out, ...args]);
    if (q.status !== 0) throw new Error(`quantize: ${q.stderr}`);
  }
  // Exactly what a fleet benchmark job runs (agent.ts benchJob): one model per harness call.
  const settings = { scenarios: ['controlled' as const], runs, rounds: 3, warmup: 10 };
  const all = [['fp32', files.fp32], ['int8-dynamic', files.dynamic], ['int8-static', files.static]] as const;
  const store = await ResultsStore.open(resolveStoreLocation(url));
  // The local reference takes its turns in the agents' own host-lock queue (PostgreSQL grants an advisory lock to
  // its waiters in order), so it runs between their jobs: local v0 | dev-a v0 | dev-b v0 | local v0, v1 | dev-a v1 | …
  // Each fleet figure is then compared with local runs of the same file just before and after it, not a whole run
  // apart: on this shared VM the machine's speed steps by 10% within a minute and by up to 25% within a few.
  const db = store.postgres('bench:fleet');
  const lock = await db.connect();
  const lockArgs = hostLockArgs(hostId());
  const waiters = async () => Number((await lock.query<{ n: string }>("SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).rows[0]!.n);
  const openJobs = async () => Number((await store.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM fleet_jobs WHERE state IN ('queued', 'running')"))[0]!.n);
  const agents: ChildProcess[] = [];
  type Variant = (typeof all)[number];
  interface Comparison { variant: string; device: string; before: number; after: number; fleet: number; pooled: number }

  /** One submission of `variants` to `devices`, with local runs taking turns between the jobs. */
  async function bracketedRound(variants: readonly Variant[], devices: readonly string[]): Promise<{ submission: string; comparisons: Comparison[] }> {
    const locals: Array<{ variant: string; startedAt: number; endedAt: number; result: BenchResult }> = [];
    const measureLocal = async ([variant, path]: Variant) => {
      const startedAt = Date.now();
      const result = (await benchmarkModels([path], settings))[0]!;
      locals.push({ variant, startedAt, endedAt: Date.now(), result });
    };
    await lock.query('SELECT pg_advisory_lock($1::int, $2::int)', lockArgs);
    const submit = cli(['fleet', 'submit', '--store', url, '--wait-for-device', ...devices.flatMap((d) => ['--device', d]), '--scenario', 'controlled', '--runs', String(runs), '--rounds', '3', '--warmup', '10', '--timeout-s', '1800', ...variants.map((v) => v[1])]);
    if (submit.status !== 0) throw new Error(submit.stderr);
    const submission = submit.stdout.trim();
    for (let slot = 0; ; slot++) {
      if (slot > 0) await lock.query('SELECT pg_advisory_lock($1::int, $2::int)', lockArgs);
      for (const k of [slot - 1, slot]) if (k >= 0 && k < variants.length) await measureLocal(variants[k]!);
      if (slot === variants.length || (await openJobs()) === 0) break;
      // Both agents queue behind this lock before it is released (they ask for it every poll), so the next request
      // of this process waits behind both of them.
      for (let waited = 0; (await waiters()) < 2 && waited < 100; waited++) await sleep(100);
      await lock.query('SELECT pg_advisory_unlock($1::int, $2::int)', lockArgs);
      await sleep(200);
    }
    await lock.query('SELECT pg_advisory_unlock($1::int, $2::int)', lockArgs);
    while ((await openJobs()) > 0) await sleep(1000);
    const fleetRuns = await store.runs({ submissionId: submission, limit: 1000 });
    const jobRows = await store.db.all<{ id: string; started_at: string; finished_at: string }>('SELECT id, started_at, finished_at FROM fleet_jobs WHERE submission_id = ?', [submission]);
    const jobTimes = new Map(jobRows.map((j) => [j.id, { started: Date.parse(j.started_at), finished: Date.parse(j.finished_at) }]));
    const comparisons: Comparison[] = [];
    for (const [variant] of variants) {
      const mine = locals.filter((l) => l.variant === variant);
      for (const device of devices) {
        const run = fleetRuns.find((r) => r.device === device && r.latencies[0]?.variant === variant);
        const job = jobTimes.get(run?.jobId ?? '');
        const before = job && mine.filter((l) => l.endedAt <= job.started).pop();
        const after = job && mine.find((l) => l.startedAt >= job.finished);
        comparisons.push({
          variant,
          device,
          fleet: run?.latencies[0]?.p50Ms ?? Number.NaN,
          before: before?.result.stats?.p50Ms ?? Number.NaN,
          after: after?.result.stats?.p50Ms ?? Number.NaN,
          pooled: before && after ? median([...before.result.timingsMs, ...after.result.timingsMs]) : Number.NaN,
        });
      }
    }
    return { submission, comparisons };
  }

  try {
    agents.push(agent(url, 'dev-a', []), agent(url, 'dev-b', []));
    const first = await bracketedRound(all, ['dev-a', 'dev-b']);
    const reportDir = join(dir, 'report');
    const report = cli(['fleet', 'report', '--store', url, '--submission', first.submission, '-o', reportDir]);
    console.log(`\nfleet report (2 agents as 2 devices on this host):\n${report.stdout.trim()}`);
    // A comparison is a measurement only when the machine held still across it: the local runs before and after the
    // fleet job within 5% of each other. Where it moved more than the tolerance being checked, that pair is measured
    // again (a new submission of that one file), up to twice.
    const steady = (c: Comparison) => Math.abs(c.after / c.before - 1) <= 0.05;
    const history = new Map<string, Comparison[]>(first.comparisons.map((c) => [`${c.variant}@${c.device}`, [c]]));
    for (let retry = 1; retry <= 2; retry++) {
      const moved = [...history.values()].map((h) => h[h.length - 1]!).filter((c) => !steady(c));
      if (moved.length === 0) break;
      for (const [variant, path] of all) {
        const devices = moved.filter((c) => c.variant === variant).map((c) => c.device);
        if (devices.length === 0) continue;
        console.log(`  re-measuring ${variant} on ${devices.join(', ')}: the machine moved during its comparison (retry ${retry} of 2)`);
        for (const c of (await bracketedRound([[variant, path] as Variant], devices)).comparisons) history.get(`${c.variant}@${c.device}`)!.push(c);
      }
    }
    await stop(agents);
    // For the record: the same files in one interleaved harness call (`edgeopt bench a b c`), a different protocol.
    const interleaved = await benchmarkModels(Object.values(files), settings);
    const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
    let ok = true;
    console.log('\nprotocol: every figure is the controlled scenario (1 thread) measured by the isolated harness with the same settings');
    console.log(`  (${runs} timed runs in 3 rounds of fresh processes, 10 warm-up runs each, seeded random input, up to 5× runs while the median's CI is wider than ±2%),`);
    console.log('  ONE model per harness call: a fleet job is `edgeopt bench <one file>` run by the agent. The local reference is that same call on this host,');
    console.log('  taking turns with the agents in their host-lock queue, so every fleet job has a local run of the same file just before it and one');
    console.log('  just after it; the fleet p50 is compared with the two pooled. Where those two differ by more than 5%, the machine itself moved more');
    console.log('  than the tolerance during the comparison: it is no measurement, and that file is submitted again (up to twice).');
    console.log('  variant        ' + ['dev-a', 'dev-b'].map((d) => `${d}: local before / after → fleet p50 (vs pooled)`.padEnd(58)).join('') + 'interleaved 3-model call');
    for (const [variant, path] of all) {
      const cells = ['dev-a', 'dev-b'].map((device) => {
        const tries = history.get(`${variant}@${device}`)!;
        const c = tries[tries.length - 1]!;
        const again = tries.length > 1 ? ` (try ${tries.length})` : '';
        if (!(c.fleet > 0) || !(c.pooled > 0)) {
          ok = false;
          return `missing${again}`;
        }
        const diff = c.fleet / c.pooled - 1;
        const verdict = !steady(c) ? 'MOVED' : Math.abs(diff) <= 0.05 ? 'PASS' : 'FAIL';
        if (verdict !== 'PASS') ok = false;
        return `${c.before.toFixed(2)} / ${c.after.toFixed(2)} → ${c.fleet.toFixed(2)} ms (${pct(diff)}) ${verdict}${again}`;
      });
      const i = interleaved.find((r) => r.model === path)?.stats?.p50Ms;
      console.log(`  ${variant.padEnd(14)} ${cells.map((c) => c.padEnd(57)).join(' ')} ${i === undefined ? 'failed' : `${i.toFixed(2)} ms`}`);
    }
    for (const [key, tries] of history) {
      for (const [n, c] of tries.slice(0, -1).entries()) {
        console.log(`  ${key.replace('@', ' on ')}, try ${n + 1}: local ${c.before.toFixed(2)} / ${c.after.toFixed(2)} ms (the machine moved ${pct(c.after / c.before - 1)}) → fleet ${c.fleet.toFixed(2)} ms (${pct(c.fleet / c.pooled - 1)} vs pooled)`);
      }
    }
    const retried = [...history.values()].filter((h) => h.length > 1).length;
    console.log(`  ${ok ? 'PASS' : 'FAIL'}: every variant on both devices within 5% of the local benchmark under the same protocol${retried ? ` (${retried} of 6 re-measured after the machine moved)` : ''} (load average now ${os.loadavg()[0]!.toFixed(1)}${os.loadavg()[0]! > os.availableParallelism() * 0.5 ? ': a busy machine moves every figure; the lead re-measures on a quiet one' : ''})`);
    return ok;
  } finally {
    await stop(agents);
    lock.release();
    await store.close();
  }
}

async function main(): Promise<number> {
  const machine = machineProvenance();
  const load = os.loadavg()[0]!;
  console.log(`machine: ${machine.cpuModel}, ${machine.cores} cores; load average ${load.toFixed(1)}${load > machine.cores * 0.5 ? ' — the CPU is busy with other work: latency figures are noisy' : ''}`);
  if (!existsSync(CLI)) throw new Error('build first: npm run build');
  let cluster: TestCluster | undefined;
  let url = argText('--store');
  if (!url) {
    cluster = startTestCluster();
    url = cluster.url;
  }
  const dir = mkdtempSync(join(os.tmpdir(), 'edgeopt-bench-fleet-'));
  let ok = true;
  try {
    const jobs = arg('--jobs', 1000);
    const agents = arg('--agents', 8);
    const onlyYolo = flag('--only-yolo');
    if (!flag('--only-kill') && !onlyYolo) ok = (await throughput(await createDatabase(url, 'bench_fleet_plain'), dir, jobs, agents, false)) && ok;
    if (!flag('--no-kill') && !onlyYolo) ok = (await throughput(await createDatabase(url, 'bench_fleet_kill'), dir, jobs, agents, true)) && ok;
    if (flag('--yolo') || onlyYolo) ok = (await crossDevice(await createDatabase(url, 'bench_fleet_yolo'), dir, arg('--runs', 100))) && ok;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    cluster?.stop();
  }
  return ok ? 0 : 1;
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`bench-fleet: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
