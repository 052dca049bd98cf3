import type { InputSpec } from './input.js';
import type { SessionConfig } from '../runtime/runtime.js';

/**
 * Messages between the parent and a measurement child (src/bench/worker.ts). Kept apart from the
 * worker module so the parent can import the types without starting a worker.
 */
interface ModelRequest {
  model: string;
  config: SessionConfig;
  input: InputSpec;
  runs: number;
  warmup: number;
}

export type WorkerRequest =
  /** Warm up, then time `runs` inferences (global.gc() between runs, outside the timing). */
  | ({ kind: 'bench' } & ModelRequest)
  /** Same, with onnxruntime profiling into `profileDir` and the optimized graph saved there. */
  | ({ kind: 'profile'; profileDir: string } & ModelRequest)
  /** Bare session.run loop vs the harness's timed loop, alternating in `blocks`, same session. */
  | ({ kind: 'overhead'; blocks: number } & ModelRequest)
  /** Fault drills for the tests: sleep past any time limit, or die without replying. */
  | { kind: 'sleep'; ms: number }
  | { kind: 'crash'; exitCode: number };

export interface InputShapeRecord {
  name: string;
  type: string;
  dims: number[];
}

/** What a child knows about the session it ran, for provenance. */
export interface SessionRecord {
  provider: string;
  failedProviders: Array<{ provider: string; reason: string }>;
  sessionOptions: Record<string, unknown>;
  sessionCreateMs: number;
  inputs: InputShapeRecord[];
  runtime: { name: string; version: string };
  /** The measuring process (differs per run set and round: each gets a fresh process). */
  pid: number;
}

export interface BenchReply extends SessionRecord {
  kind: 'bench';
  timingsMs: number[];
  warmupMs: number[];
  /** The first inference of the session (the first warm-up run, or the first timed one). */
  firstRunMs: number;
  peakRssMb: number;
  gcBetweenRuns: boolean;
}

export interface ProfileReply extends SessionRecord {
  kind: 'profile';
  tracePath: string;
  optimizedModelPath: string;
  warmup: number;
  runs: number;
}

export interface OverheadReply extends SessionRecord {
  kind: 'overhead';
  /** Per-run times of the bare `await session.run(feeds)` loop (performance.now() around each call). */
  bareMs: number[];
  /** Per-run times of the harness's timed loop, from the same session, interleaved by block. */
  harnessMs: number[];
  /** Wall time per run of a bare loop timed only as a whole (no per-run clock reads at all). */
  bareWallMsPerRun: number;
}

export type WorkerReply =
  | { ok: true; result: BenchReply | ProfileReply | OverheadReply | { kind: 'sleep' } }
  | { ok: false; error: string };
