import { EdgeoptError } from '../util/errors.js';
import { readJsonFile } from '../util/fs.js';

/**
 * Reader for onnxruntime's profiler output (a Chrome-trace JSON array): bytes in, typed events out.
 * Two kinds matter: Session 'model_run' events bracket each inference, and Node events named
 * '<node>_kernel_time' carry the kernel's duration and its op type in args.op_name.
 */
export interface RunEvent {
  /** Start, µs since the session's profiling started. */
  ts: number;
  dur: number;
}

export interface KernelEvent {
  nodeName: string;
  opType: string;
  provider: string;
  ts: number;
  dur: number;
}

export interface ProfileTrace {
  runs: RunEvent[];
  kernels: KernelEvent[];
}

interface RawEvent {
  cat?: unknown;
  name?: unknown;
  ts?: unknown;
  dur?: unknown;
  args?: { op_name?: unknown; provider?: unknown };
}

const KERNEL_SUFFIX = '_kernel_time';

export function parseProfileTrace(json: unknown, source = 'profile trace'): ProfileTrace {
  if (!Array.isArray(json)) throw new EdgeoptError(`${source} is not a Chrome-trace event array`);
  const runs: RunEvent[] = [];
  const kernels: KernelEvent[] = [];
  for (const raw of json as RawEvent[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const name = typeof raw.name === 'string' ? raw.name : '';
    const ts = Number(raw.ts);
    const dur = Number(raw.dur);
    if (!Number.isFinite(ts) || !Number.isFinite(dur)) continue;
    if (raw.cat === 'Session' && name === 'model_run') runs.push({ ts, dur });
    else if (raw.cat === 'Node' && name.endsWith(KERNEL_SUFFIX)) {
      kernels.push({
        nodeName: name.slice(0, -KERNEL_SUFFIX.length),
        opType: typeof raw.args?.op_name === 'string' ? raw.args.op_name : 'unknown',
        provider: typeof raw.args?.provider === 'string' ? raw.args.provider : '',
        ts,
        dur,
      });
    }
  }
  runs.sort((a, b) => a.ts - b.ts);
  return { runs, kernels };
}

export async function readProfileTrace(path: string): Promise<ProfileTrace> {
  const json = await readJsonFile(path, 'profile trace');
  return parseProfileTrace(json, path);
}
