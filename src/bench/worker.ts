/**
 * The measurement child. The parent (src/bench/child.ts) forks this module once per run set, so
 * every session gets a process of its own: onnxruntime's spinning worker threads from one session
 * cannot steal cycles from another's runs, and nothing (JIT, allocator, caches) carries over.
 * Started with --expose-gc so the timed loop can collect garbage between runs.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../util/errors.js';
import { makeInputTensors } from './input.js';
import { timedLoop } from './measure.js';
import { nativeOf, ortNodeRuntime } from '../runtime/ort-node.js';
import type { RuntimeSession } from '../runtime/runtime.js';
import type { OverheadReply, SessionRecord, WorkerReply, WorkerRequest } from './worker-protocol.js';

const gc = (globalThis as { gc?: () => void }).gc;

function sessionRecord(session: RuntimeSession, tensors: ReturnType<typeof makeInputTensors>): SessionRecord {
  return {
    provider: session.provider,
    failedProviders: [...session.failedProviders],
    sessionOptions: { ...session.options },
    sessionCreateMs: session.createMs,
    inputs: Object.entries(tensors).map(([name, t]) => ({ name, type: t.type, dims: t.dims })),
    runtime: { name: ortNodeRuntime.name, version: ortNodeRuntime.version },
    pid: process.pid,
  };
}

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.kind) {
    case 'sleep':
      await new Promise((resolve) => setTimeout(resolve, request.ms));
      return { ok: true, result: { kind: 'sleep' } };
    case 'crash':
      process.exit(request.exitCode);
    case 'bench': {
      const session = await ortNodeRuntime.open(request.model, request.config);
      const tensors = makeInputTensors(session.inputs, request.input);
      const feeds = session.prepareFeeds(tensors);
      const loop = await timedLoop(session, feeds, { runs: request.runs, warmup: request.warmup, gc });
      const record = sessionRecord(session, tensors);
      await session.release();
      return {
        ok: true,
        result: {
          kind: 'bench',
          ...record,
          ...loop,
          peakRssMb: process.resourceUsage().maxRSS / 1024,
          gcBetweenRuns: gc !== undefined,
        },
      };
    }
    case 'profile': {
      const config = {
        ...request.config,
        profileFilePrefix: join(request.profileDir, 'profile'),
        optimizedModelFilePath: join(request.profileDir, 'optimized.onnx'),
      };
      const session = await ortNodeRuntime.open(request.model, config);
      const tensors = makeInputTensors(session.inputs, request.input);
      const feeds = session.prepareFeeds(tensors);
      await timedLoop(session, feeds, { runs: request.runs, warmup: request.warmup, gc });
      const record = sessionRecord(session, tensors);
      const reported = session.endProfiling();
      await session.release();
      const tracePath =
        reported ?? readdirSync(request.profileDir).filter((f) => f.startsWith('profile') && f.endsWith('.json')).map((f) => join(request.profileDir, f))[0];
      if (!tracePath) return { ok: false, error: 'onnxruntime wrote no profile trace' };
      return {
        ok: true,
        result: { kind: 'profile', ...record, tracePath, optimizedModelPath: config.optimizedModelFilePath, warmup: request.warmup, runs: request.runs },
      };
    }
    case 'overhead': {
      const session = await ortNodeRuntime.open(request.model, request.config);
      const tensors = makeInputTensors(session.inputs, request.input);
      const feeds = session.prepareFeeds(tensors);
      const { session: raw, feeds: rawFeeds } = nativeOf(session, feeds);
      for (let i = 0; i < request.warmup; i++) await raw.run(rawFeeds);
      const bareMs: number[] = [];
      const harnessMs: number[] = [];
      let wallMs = 0;
      let wallRuns = 0;
      // Alternate bare and harness blocks so that drift (other processes, thermal) hits both alike.
      for (let block = 0; block < request.blocks; block++) {
        for (let i = 0; i < request.runs; i++) {
          const start = performance.now();
          await raw.run(rawFeeds);
          bareMs.push(performance.now() - start);
        }
        const loop = await timedLoop(session, feeds, { runs: request.runs, warmup: 0, gc });
        harnessMs.push(...loop.timingsMs);
        const wallStart = performance.now();
        for (let i = 0; i < request.runs; i++) await raw.run(rawFeeds);
        wallMs += performance.now() - wallStart;
        wallRuns += request.runs;
      }
      const reply: OverheadReply = {
        kind: 'overhead',
        ...sessionRecord(session, tensors),
        bareMs,
        harnessMs,
        bareWallMsPerRun: wallMs / wallRuns,
      };
      await session.release();
      return { ok: true, result: reply };
    }
  }
}

// The child must not outlive its parent (Ctrl-C, crash): the IPC channel closing means the parent is gone.
process.on('disconnect', () => process.exit(130));

process.once('message', (message) => {
  handle(message as WorkerRequest)
    .catch((err: unknown): WorkerReply => ({ ok: false, error: describeError(err) }))
    .then((reply) => {
      process.send?.(reply, () => process.exit(0));
    });
});
