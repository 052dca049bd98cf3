import { EdgeoptError } from '../util/errors.js';
import type { ProfileTrace } from '../bench/trace.js';

/**
 * Turns a profiler trace into per-run times by op type and by node. Pure. Warm-up runs are dropped
 * using the trace's own model_run events as run boundaries, so the first runs' one-off costs
 * (allocations, page faults, packing weights) do not count against any op.
 */
export interface OpTypeTime {
  opType: string;
  /** Kernel time per run, ms. */
  msPerRun: number;
  /** Share of the summed kernel time (0..1). */
  share: number;
  /** Kernels of this type executed per run. */
  count: number;
}

export interface NodeTime {
  name: string;
  opType: string;
  msPerRun: number;
  share: number;
}

export interface TraceAggregate {
  /** Runs kept (after the warm-up ones). */
  runs: number;
  /** Mean model_run duration, ms. */
  runMs: number;
  /** Mean summed kernel time per run, ms (runMs minus this is the executor's own overhead). */
  kernelMs: number;
  /** Sorted by time, largest first. */
  opTypes: OpTypeTime[];
  /** Sorted by time, largest first (all nodes; callers slice the top ones). */
  nodes: NodeTime[];
}

export function aggregateTrace(trace: ProfileTrace, warmup: number): TraceAggregate {
  if (trace.runs.length === 0) throw new EdgeoptError('the profile trace has no model_run events');
  if (trace.runs.length <= warmup) {
    throw new EdgeoptError(`the profile trace has ${trace.runs.length} runs, not more than the ${warmup} warm-up runs`);
  }
  const kept = trace.runs.slice(warmup);
  const inKeptRun = (ts: number) => kept.some((run) => ts >= run.ts && ts <= run.ts + run.dur);
  const byOp = new Map<string, { us: number; calls: number }>();
  const byNode = new Map<string, { opType: string; us: number }>();
  let totalUs = 0;
  for (const kernel of trace.kernels) {
    if (!inKeptRun(kernel.ts)) continue;
    totalUs += kernel.dur;
    const op = byOp.get(kernel.opType) ?? { us: 0, calls: 0 };
    op.us += kernel.dur;
    op.calls += 1;
    byOp.set(kernel.opType, op);
    const node = byNode.get(kernel.nodeName) ?? { opType: kernel.opType, us: 0 };
    node.us += kernel.dur;
    byNode.set(kernel.nodeName, node);
  }
  const n = kept.length;
  const share = (us: number) => (totalUs > 0 ? us / totalUs : 0);
  const opTypes = [...byOp.entries()]
    .map(([opType, v]) => ({ opType, msPerRun: v.us / 1000 / n, share: share(v.us), count: Math.round(v.calls / n) }))
    .sort((a, b) => b.msPerRun - a.msPerRun);
  const nodes = [...byNode.entries()]
    .map(([name, v]) => ({ name, opType: v.opType, msPerRun: v.us / 1000 / n, share: share(v.us) }))
    .sort((a, b) => b.msPerRun - a.msPerRun);
  return {
    runs: n,
    runMs: kept.reduce((sum, run) => sum + run.dur, 0) / 1000 / n,
    kernelMs: totalUs / 1000 / n,
    opTypes,
    nodes,
  };
}
