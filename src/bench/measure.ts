import type { PreparedFeeds, RuntimeSession } from '../runtime/runtime.js';

/**
 * The harness's timed loop. Warm-up runs are timed too (the first one is the session's cold start),
 * but only the timed runs enter the statistics. `gc` (global.gc under --expose-gc) runs between
 * runs and outside the timing: otherwise V8's collector fires every dozen runs and competes with
 * onnxruntime's threads for the cores, which makes multi-thread timings bimodal.
 */
export interface TimedLoopResult {
  timingsMs: number[];
  warmupMs: number[];
  firstRunMs: number;
}

export async function timedLoop(
  session: RuntimeSession,
  feeds: PreparedFeeds,
  options: { runs: number; warmup: number; gc?: () => void },
): Promise<TimedLoopResult> {
  const warmupMs: number[] = [];
  for (let i = 0; i < options.warmup; i++) {
    const start = performance.now();
    await session.runPrepared(feeds);
    warmupMs.push(performance.now() - start);
  }
  const timingsMs: number[] = [];
  for (let i = 0; i < options.runs; i++) {
    options.gc?.();
    const start = performance.now();
    await session.runPrepared(feeds);
    timingsMs.push(performance.now() - start);
  }
  return { timingsMs, warmupMs, firstRunMs: warmupMs[0] ?? timingsMs[0] ?? Number.NaN };
}
