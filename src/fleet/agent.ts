import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type PgBoss from 'pg-boss';
import type { PoolClient } from 'pg';
import { hostId, machineDeviceProvenance } from '../store/device.js';
import { edgeoptHome } from '../store/location.js';
import { latencyFromStats } from '../store/capture.js';
import type { NewRun } from '../store/records.js';
import type { ResultsStore } from '../store/store.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import type { Progress } from '../util/progress.js';
import { parseJob, queueName, type BenchJob, type FleetJob, type Target } from './jobs.js';
import { runInRunner } from './launch-runner.js';
import { modelFile } from './model-cache.js';
import { ensureQueue, openQueue } from './queue.js';
import type { RunnerResult } from './runner-protocol.js';

/**
 * `edgeopt agent`: the worker on each device, a plain loop in the shape of pg-boss's own workers —
 * take the host lock, fetch one job (its lease starts), run it (a benchmark in the isolated harness,
 * an accuracy job in a fresh runner process), record the
 * result and complete the job in one transaction, release the lock. One job at a time per agent
 * and per host: agents on one machine share a PostgreSQL advisory lock keyed on the host, because
 * two benchmarks at once distort each other. A result is recorded once per job even if the job ran
 * twice (the store's unique job id). SIGTERM stops the agent after the current job.
 */
export interface AgentOptions {
  store: ResultsStore;
  device: string;
  tags: string[];
  /** YOLO-format dataset for accuracy jobs; without it they fail with a one-line reason. */
  evalData?: string;
  /** How long an idle agent waits before looking again (default 1000 ms). */
  pollMs?: number;
  heartbeatMs?: number;
  maintenanceIntervalSeconds?: number;
  cacheDir?: string;
  /** Stop after this many jobs (benchmarks and tests); default: run until stopped. */
  maxJobs?: number;
  progress: Progress;
  signal: AbortSignal;
  toolVersion: string;
}

export interface JobTiming {
  jobId: string;
  /** Waiting for the host lock. */
  lockMs: number;
  /** The queue fetch that leased the job. */
  fetchMs: number;
  /** Marking it running, fetching and checking the model file. */
  prepareMs: number;
  /** The runner process: the measurement itself. */
  runMs: number;
  /** Recording the result and completing the job (one transaction). */
  recordMs: number;
}

export interface AgentSummary {
  agentId: string;
  jobs: number;
  failed: number;
  timings: JobTiming[];
}

const HOST_LOCK_CLASS = 0x65646f; // 'edo': keeps the key apart from other applications' advisory locks

/**
 * The two 32-bit arguments of `pg_advisory_lock(int, int)` that every agent on host `id` takes around a job.
 * Exported so that a local measurement can take its turn in the same queue (bench:fleet does).
 */
export function hostLockArgs(id: string): [number, number] {
  return [HOST_LOCK_CLASS ^ (Number.parseInt(id.slice(0, 8), 16) | 0), Number.parseInt(id.slice(8, 16), 16) | 0];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function runAgent(options: AgentOptions): Promise<AgentSummary> {
  const { store, progress, signal } = options;
  const db = store.postgres('edgeopt agent');
  const agentId = randomUUID();
  const host = hostId();
  const cacheDir = options.cacheDir ?? join(edgeoptHome(), 'models');
  const targets: Target[] = [{ device: options.device }, ...options.tags.map((tag) => ({ tag }))];
  const queues = targets.map(queueName);

  progress.step(`probing execution providers`);
  const probe = await runInRunner({ kind: 'probe' }, 120_000).catch((err: unknown) => {
    progress.warn(`provider probe failed (${describeError(err)})`);
    return { kind: 'probe' as const, providers: [] };
  });
  const providers = probe.kind === 'probe' ? probe.providers : [];
  const now = () => new Date().toISOString();
  await store.upsertDevice({ name: options.device, kind: 'machine', hostId: host, tags: options.tags, provenance: machineDeviceProvenance(providers) });
  await db.run(`INSERT INTO agents (id, device, host_id, pid, tags, started_at, last_seen, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'idle')`, [
    agentId, options.device, host, process.pid, JSON.stringify(options.tags), now(), now(),
  ]);
  const boss: PgBoss = await openQueue(db, {
    supervise: true,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds,
    onError: (message) => progress.warn(`queue: ${message}`),
  });
  for (const q of queues) await ensureQueue(db, boss, q);
  progress.step(`agent ${agentId.slice(0, 8)} on device ${options.device} (host ${host}, providers ${providers.join(', ') || 'none'}) working ${queues.join(', ')}`);

  const heartbeat = setInterval(() => {
    const t = now();
    db.run('UPDATE agents SET last_seen = ? WHERE id = ?', [t, agentId])
      .then(() => db.run('UPDATE devices SET last_seen = ? WHERE name = ?', [t, options.device]))
      .catch((err: unknown) => progress.warn(`heartbeat failed: ${describeError(err)}`));
  }, options.heartbeatMs ?? 10_000);

  // The host lock lives on its own connection: PostgreSQL releases it by itself if this process dies.
  let lockClient: PoolClient | undefined;
  let waitingForLock = false;
  const lockArgs = hostLockArgs(host);
  // Stopping while waiting for the lock: drop that connection (its wait ends). Never while a job holds it.
  const abortLockWait = () => {
    if (waitingForLock) lockClient?.release(new Error('agent stopping'));
  };
  signal.addEventListener('abort', abortLockWait, { once: true });

  const summary: AgentSummary = { agentId, jobs: 0, failed: 0, timings: [] };
  try {
    while (!signal.aborted && (options.maxJobs === undefined || summary.jobs < options.maxJobs)) {
      const t0 = performance.now();
      lockClient = await db.connect();
      waitingForLock = true;
      try {
        await lockClient.query('SELECT pg_advisory_lock($1::int, $2::int)', lockArgs);
      } catch (err) {
        if (signal.aborted) break;
        throw err;
      } finally {
        waitingForLock = false;
      }
      let worked = false;
      try {
        if (signal.aborted) break;
        const tLocked = performance.now();
        for (const queue of queues) {
          const [job] = await boss.fetch<unknown>(queue, { batchSize: 1, includeMetadata: true });
          if (!job) continue;
          const tFetched = performance.now();
          const timing = await work(queue, job, { lockMs: tLocked - t0, fetchMs: tFetched - tLocked });
          summary.timings.push(timing.timing);
          summary.jobs++;
          if (timing.failed) summary.failed++;
          worked = true;
          break;
        }
      } finally {
        await lockClient.query('SELECT pg_advisory_unlock($1::int, $2::int)', lockArgs).catch(() => undefined);
        lockClient.release();
        lockClient = undefined;
      }
      if (!worked) await sleep(options.pollMs ?? 1000, signal);
    }
  } finally {
    clearInterval(heartbeat);
    signal.removeEventListener('abort', abortLockWait);
    await db.run(`UPDATE agents SET state = 'stopped', current_job = NULL, last_seen = ? WHERE id = ?`, [now(), agentId]).catch(() => undefined);
    await boss.stop({ graceful: false, close: false, wait: true }).catch(() => undefined);
  }
  return summary;

  async function work(queue: string, fetched: PgBoss.JobWithMetadata<unknown>, t: { lockMs: number; fetchMs: number }): Promise<{ timing: JobTiming; failed: boolean }> {
    const tStart = performance.now();
    let job: FleetJob | undefined;
    let result: RunnerResult | undefined;
    let error: string | undefined;
    let runMs = 0;
    const attempt = fetched.retryCount + 1;
    try {
      job = parseJob(fetched.data);
    } catch (err) {
      error = describeError(err);
    }
    await db.run(`UPDATE fleet_jobs SET state = 'running', device = ?, agent_id = ?, attempts = ?, started_at = ? WHERE id = ?`, [options.device, agentId, attempt, now(), fetched.id]);
    await db.run(`UPDATE agents SET state = 'running', current_job = ?, last_seen = ? WHERE id = ?`, [fetched.id, now(), agentId]);
    progress.step(`job ${fetched.id.slice(0, 8)}: ${job ? `${job.kind} ${job.variant}` : 'invalid'} (attempt ${attempt})`);
    let tPrepared = performance.now();
    if (job) {
      try {
        const modelPath = await modelFile(db, job.model, cacheDir);
        if (job.kind === 'bench') {
          tPrepared = performance.now();
          result = await benchJob(job, modelPath);
        } else {
          if (!options.evalData) throw new Error(`this agent has no --eval-data, so it cannot measure accuracy`);
          const referencePath = job.reference ? await modelFile(db, job.reference, cacheDir) : undefined;
          tPrepared = performance.now();
          result = await runInRunner({ kind: 'eval', job, modelPath, referencePath, dataDir: options.evalData }, job.timeoutS * 1000);
        }
      } catch (err) {
        error = describeError(err);
      }
      runMs = performance.now() - tPrepared;
    }
    const run = toRun(fetched.id, job, result, error, { attempt, agentId, host, providers, queue, timing: { lockMs: t.lockMs, fetchMs: t.fetchMs, prepareMs: tPrepared - tStart, runMs } });
    const failed = run.status === 'failed';
    const tRecord = performance.now();
    await db.transaction(async (tx) => {
      await store.recordRun(run, tx);
      await tx.run(`UPDATE fleet_jobs SET state = ?, finished_at = ?, error = ? WHERE id = ?`, [failed ? 'failed' : 'done', now(), failed ? run.errors[0] ?? 'failed' : null, fetched.id]);
      await boss.complete(queue, fetched.id, { ok: !failed, ...(failed ? { error: run.errors[0] } : {}) }, { db: tx });
    });
    await db.run(`UPDATE agents SET state = 'idle', current_job = NULL WHERE id = ?`, [agentId]);
    const recordMs = performance.now() - tRecord;
    progress.step(`job ${fetched.id.slice(0, 8)}: ${failed ? `failed: ${run.errors[0]}` : 'done'} (${(runMs / 1000).toFixed(1)} s)`);
    return { timing: { jobId: fetched.id, ...t, prepareMs: tPrepared - tStart, runMs, recordMs }, failed };
  }

  /**
   * A benchmark job runs in this process exactly as `edgeopt bench` runs: the isolated harness,
   * with a fresh measurement child per run set and round (one process start per run set, not two:
   * the per-job cost of small jobs). The job's time limit is the harness's deadline: a child still
   * running at it is killed, and nothing starts after it. The children lead their own process
   * group, so a Ctrl-C meant for the agent lets the current job finish.
   */
  async function benchJob(job: BenchJob, modelPath: string): Promise<RunnerResult> {
    const { benchmarkModels } = await import('../bench/benchmark.js');
    const timeoutMs = job.timeoutS * 1000;
    const deadline = Date.now() + timeoutMs;
    const results = await benchmarkModels([modelPath], {
      scenarios: job.scenarios,
      runs: job.runs,
      warmup: job.warmup,
      rounds: job.rounds,
      maxRuns: job.maxRuns,
      providers: job.providers,
      timeoutMs,
      deadline,
      detachChildren: true,
    });
    if (Date.now() >= deadline && results.some((r) => r.error)) throw new EdgeoptError(`timed out after ${job.timeoutS} s (job killed)`);
    return { kind: 'bench', results: results.map(({ timingsMs: _timings, ...rest }) => rest) };
  }

  function toRun(jobId: string, job: FleetJob | undefined, result: RunnerResult | undefined, error: string | undefined, context: Record<string, unknown>): NewRun {
    const base = {
      kind: 'fleet' as const,
      device: options.device,
      toolVersion: options.toolVersion,
      modelName: job?.model.name ?? 'unknown',
      settings: job ? { ...job } : {},
      jobId,
      submissionId: job?.submissionId,
      latencies: [] as NewRun['latencies'],
      accuracies: [] as NewRun['accuracies'],
    };
    if (!job || !result || error) {
      return { ...base, status: 'failed', provenance: { ...context }, errors: [error ?? 'no result'] };
    }
    if (result.kind === 'bench') {
      const errors = result.results.filter((r) => r.error).map((r) => `${r.scenario}/${r.threads}: ${r.error}`);
      const latencies = result.results
        .filter((r) => r.stats)
        .map((r) => latencyFromStats(job.variant, job.model.sha256, r.scenario, r.threads, r.provenance.run?.provider ?? 'cpu', r.stats!));
      return {
        ...base,
        latencies,
        status: errors.length === 0 ? 'complete' : latencies.length > 0 ? 'partial' : 'failed',
        provenance: { ...context, ...result.results[0]?.provenance, runs: result.results.map((r) => ({ scenario: r.scenario, threads: r.threads, run: r.provenance.run })) },
        errors,
      };
    }
    if (result.kind === 'eval') {
      return { ...base, status: 'complete', provenance: { ...context }, errors: [], accuracies: [{ variant: job.variant, modelSha256: job.model.sha256, ...result.result }] };
    }
    return { ...base, status: 'failed', provenance: { ...context }, errors: ['unexpected runner reply'] };
  }
}
