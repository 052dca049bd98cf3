import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { runInChild, DEFAULT_CHILD_TIMEOUT_MS } from '../bench/child.js';
import { controlledConfig, type ScenarioName } from '../bench/scenarios.js';
import type { PlainTensor } from '../runtime/runtime.js';
import { readProfileTrace } from '../bench/trace.js';
import { loadModel } from '../onnx/model-io.js';
import { EdgeoptError } from '../util/errors.js';
import { assertReadableFile } from '../util/fs.js';
import { aggregateTrace, type NodeTime, type OpTypeTime } from './aggregate.js';
import { censusChanges, graphCensus, type GraphCensus, type OpCountChange } from './census.js';

/**
 * Where a model's time goes, from onnxruntime's profiler. The profiled session runs in a child of
 * its own, never in the timed one (profiling adds ~20% and would distort the benchmark).
 */
export type ProfileScenario = Exclude<ScenarioName, 'sweep'>;

export interface ProfileOptions {
  scenario?: ProfileScenario;
  /** Profiled runs kept after the warm-up (default 10). */
  runs?: number;
  /** Runs discarded from the trace (default 3). */
  warmup?: number;
  inputShape?: number[];
  inputImage?: PlainTensor;
  timeoutMs?: number;
  cores?: number;
  /** Execution providers to try in order (default ['cpu']). */
  providers?: string[];
  /** Also return every node's time (`nodes`), not only the slowest ones (the quantization search's latency model). */
  allNodes?: boolean;
  /** The child leads its own process group, so a terminal's Ctrl-C reaches only the parent (see ChildOptions.detached). */
  detached?: boolean;
}

export interface Profile {
  model: string;
  scenario: ProfileScenario;
  threads: number;
  warmup: number;
  /** Profiled runs kept. */
  runs: number;
  provider: string;
  /** Providers tried before `provider` and why they failed (an explicit fallback the user must hear about). */
  failedProviders: Array<{ provider: string; reason: string }>;
  sessionOptions: Record<string, unknown>;
  /** Mean model_run time under the profiler, ms (profiling itself adds some). */
  runMs: number;
  /** Mean summed kernel time per run, ms. */
  kernelMs: number;
  opTypes: OpTypeTime[];
  /** The 10 slowest nodes. */
  topNodes: NodeTime[];
  /** Every node's time, slowest first (with `allNodes`). */
  nodes?: NodeTime[];
  /** The model as written. */
  graph: GraphCensus;
  /** The graph onnxruntime actually ran, after its optimizations. */
  optimizedGraph: GraphCensus;
  /** Op types whose count the runtime changed (fusions, layout rewrites). */
  graphChanges: OpCountChange[];
}

export const TOP_NODES = 10;

export async function profileModel(modelPath: string, options: ProfileOptions = {}): Promise<Profile> {
  await assertReadableFile(modelPath, 'model');
  const scenario = options.scenario ?? 'controlled';
  if (scenario !== 'controlled' && scenario !== 'practical') {
    throw new EdgeoptError(`profiling supports the controlled and practical scenarios, not '${scenario as string}'`);
  }
  const runs = options.runs ?? 10;
  const warmup = options.warmup ?? 3;
  if (!Number.isInteger(runs) || runs < 1) throw new EdgeoptError(`profile runs must be a positive integer, got ${runs}`);
  if (!Number.isInteger(warmup) || warmup < 0) throw new EdgeoptError(`profile warm-up must be a non-negative integer, got ${warmup}`);
  const cores = options.cores ?? os.availableParallelism();
  const threads = scenario === 'controlled' ? 1 : cores;
  const config = { ...(scenario === 'controlled' ? controlledConfig() : { intraOpThreads: cores }), providers: options.providers };
  const profileDir = await mkdtemp(join(os.tmpdir(), 'edgeopt-profile-'));
  try {
    const reply = await runInChild(
      {
        kind: 'profile',
        model: modelPath,
        config,
        input: { shape: options.inputShape, image: options.inputImage },
        runs,
        warmup,
        profileDir,
      },
      { timeoutMs: options.timeoutMs ?? DEFAULT_CHILD_TIMEOUT_MS, detached: options.detached },
    );
    const trace = await readProfileTrace(reply.tracePath);
    const aggregate = aggregateTrace(trace, warmup);
    const [original, optimized] = await Promise.all([loadModel(modelPath), loadModel(reply.optimizedModelPath)]);
    const graph = graphCensus(original);
    const optimizedGraph = graphCensus(optimized);
    return {
      model: modelPath,
      scenario,
      threads,
      warmup,
      runs: aggregate.runs,
      provider: reply.provider,
      failedProviders: reply.failedProviders,
      sessionOptions: reply.sessionOptions,
      runMs: aggregate.runMs,
      kernelMs: aggregate.kernelMs,
      opTypes: aggregate.opTypes,
      topNodes: aggregate.nodes.slice(0, TOP_NODES),
      ...(options.allNodes ? { nodes: aggregate.nodes } : {}),
      graph,
      optimizedGraph,
      graphChanges: censusChanges(graph, optimizedGraph),
    };
  } finally {
    await rm(profileDir, { recursive: true, force: true });
  }
}
