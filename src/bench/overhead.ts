import { assertReadableFile } from '../util/fs.js';
import { runInChild, DEFAULT_CHILD_TIMEOUT_MS } from './child.js';
import { controlledConfig } from './scenarios.js';
import type { SessionConfig } from '../runtime/runtime.js';
import { bootstrapRelativeMedianDifferenceCi95, computeTimingStats } from './stats.js';

/**
 * How much the harness adds to what it measures. In one child and one session, blocks of a bare
 * `await session.run(feeds)` loop (performance.now() around each call, nothing else) alternate with
 * blocks of the harness's timed loop (runtime interface, GC between runs, bookkeeping); a third
 * loop times only whole blocks, without any per-run clock reads. Alternating spreads drift evenly.
 */
export interface HarnessOverhead {
  model: string;
  runsPerLoop: number;
  bareP50Ms: number;
  harnessP50Ms: number;
  /** (harness - bare) / bare at the median, in percent. */
  medianDiffPct: number;
  /** 95% bootstrap CI of medianDiffPct: on a busy machine the noise can exceed the overhead itself. */
  medianDiffCi95Pct: [number, number];
  /** Difference of the fastest runs, in percent: noise only ever adds time, so minima are least disturbed. */
  minDiffPct: number;
  bareMeanMs: number;
  harnessMeanMs: number;
  meanDiffPct: number;
  /** Mean time per run of the block-timed bare loop. */
  bareWallMsPerRun: number;
}

export async function measureHarnessOverhead(
  model: string,
  options: { runs?: number; warmup?: number; blocks?: number; config?: SessionConfig; timeoutMs?: number } = {},
): Promise<HarnessOverhead> {
  await assertReadableFile(model, 'model');
  const blocks = options.blocks ?? 8;
  const runsPerBlock = Math.max(1, Math.ceil((options.runs ?? 40) / blocks));
  const reply = await runInChild(
    {
      kind: 'overhead',
      model,
      config: options.config ?? controlledConfig(),
      input: {},
      runs: runsPerBlock,
      warmup: options.warmup ?? 5,
      blocks,
    },
    { timeoutMs: options.timeoutMs ?? DEFAULT_CHILD_TIMEOUT_MS },
  );
  const bare = computeTimingStats(reply.bareMs);
  const harness = computeTimingStats(reply.harnessMs);
  return {
    model,
    runsPerLoop: reply.bareMs.length,
    bareP50Ms: bare.p50Ms,
    harnessP50Ms: harness.p50Ms,
    medianDiffPct: ((harness.p50Ms - bare.p50Ms) / bare.p50Ms) * 100,
    medianDiffCi95Pct: bootstrapRelativeMedianDifferenceCi95(reply.bareMs, reply.harnessMs).map((d) => d * 100) as [number, number],
    minDiffPct: ((harness.minMs - bare.minMs) / bare.minMs) * 100,
    bareMeanMs: bare.meanMs,
    harnessMeanMs: harness.meanMs,
    meanDiffPct: ((harness.meanMs - bare.meanMs) / bare.meanMs) * 100,
    bareWallMsPerRun: reply.bareWallMsPerRun,
  };
}
