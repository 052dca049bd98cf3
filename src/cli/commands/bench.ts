import type { Command } from 'commander';
import { basename } from 'node:path';
import { analyzeModel } from '../../analyze/analyze.js';
import { benchmarkModels, MAX_RUNS_LIMIT, type BenchResult } from '../../bench/benchmark.js';
import { formatBenchTable, type BenchRow } from '../../bench/format.js';
import { checkRunPlausibility, inferPrecision, type ComputePrecision } from '../../bench/plausibility.js';
import type { PlainTensor } from '../../bench/runtime.js';
import { parseShape } from '../../bench/input.js';
import { parseScenarios } from '../../bench/scenarios.js';
import { parseProviders } from '../../bench/session.js';
import { loadImageTensor } from '../../image/preprocess.js';
import { loadModel } from '../../onnx/model-io.js';
import { EdgeoptError, describeError } from '../../util/errors.js';
import { assertReadableFile } from '../../util/fs.js';
import { stderrProgress, type Progress } from '../../util/progress.js';
import { action, parseNumberOption } from '../action.js';
import { addStoreOptions, recordRun, type StoreFlags } from '../store.js';

interface BenchFlags extends StoreFlags {
  scenario: string;
  runs: number;
  warmup: number;
  rounds: number;
  shape?: string;
  image?: string;
  maxRuns?: number;
  timeoutS: number;
  macs?: number;
  providers: string[];
  json?: boolean;
}

interface ModelCompute {
  macs?: number;
  precision: ComputePrecision;
}

/** MACs (from the analyzer, at the model's own static input shape) and the precision it computes in. */
async function modelCompute(path: string, shape: number[] | undefined, macsFlag: number | undefined, progress: Progress): Promise<ModelCompute> {
  try {
    const analysis = analyzeModel(await loadModel(path));
    const precision = inferPrecision(Object.keys(analysis.opCounts), (analysis.parameters.byDtype.float16?.count ?? 0) > 0);
    if (macsFlag !== undefined) return { macs: macsFlag, precision };
    const inputDims = analysis.inputs[0]?.shape ?? [];
    const staticShape = inputDims.every((d) => typeof d === 'number');
    const sameShape = !shape || (staticShape && shape.join(',') === inputDims.join(','));
    return { macs: staticShape && sameShape && analysis.macs.total > 0 ? analysis.macs.total : undefined, precision };
  } catch (err) {
    progress.warn(`could not analyze ${path} for MACs (${describeError(err)}); GMAC/s not reported`);
    return { macs: macsFlag, precision: 'fp32' };
  }
}

async function imageInput(imagePath: string, models: string[], shape: number[] | undefined): Promise<PlainTensor> {
  await assertReadableFile(imagePath, 'image');
  let height = shape?.[2];
  let width = shape?.[3];
  if (height === undefined || width === undefined) {
    const analysis = analyzeModel(await loadModel(models[0]!));
    const dims = analysis.inputs[0]?.shape ?? [];
    height = typeof dims[2] === 'number' ? dims[2] : 640;
    width = typeof dims[3] === 'number' ? dims[3] : 640;
  }
  const tensor = await loadImageTensor(imagePath, { width, height });
  return { type: 'float32', dims: [...tensor.dims], data: tensor.data };
}

export function benchRunsJson(rows: readonly BenchRow[]) {
  return {
    runs: rows.map(({ result, plausibility }) => ({
      model: result.model,
      scenario: result.scenario,
      threads: result.threads,
      stats: result.stats ?? null,
      ...(result.error ? { error: result.error, partial: result.partial } : {}),
      plausibility: plausibility ?? null,
      provenance: result.provenance,
    })),
  };
}

export function registerBench(program: Command): void {
  const command = program
    .command('bench')
    .description('benchmark ONNX models in isolated child processes (controlled 1-thread, practical all-core, thread sweep)')
    .argument('<models...>', 'ONNX model files')
    .option('--scenario <name>', 'controlled | practical | sweep | all (or a comma list)', 'controlled')
    .option('--runs <n>', 'timed runs per model and scenario, pooled over the rounds', parseNumberOption('--runs', 1, MAX_RUNS_LIMIT, true), 100)
    .option('--warmup <n>', 'untimed warm-up runs in every child process', parseNumberOption('--warmup', 0, 10_000, true), 10)
    .option('--rounds <n>', 'rounds of child processes, in rotated model order', parseNumberOption('--rounds', 1, 100, true), 3)
    .option('--shape <dims>', 'input shape for the first float input, e.g. 1,3,640,640 (symbolic dims default to 1)')
    .option('--image <file>', 'use this image (letterboxed) as input instead of seeded random data')
    .option('--max-runs <n>', 'cap on runs while the median CI is wider than ±2% (default 5 × runs)', parseNumberOption('--max-runs', 1, MAX_RUNS_LIMIT, true))
    .option('--timeout-s <s>', 'time limit per child process, seconds', parseNumberOption('--timeout-s', 0.001, 86_400), 600)
    .option('--macs <n>', 'multiply-accumulates per inference for GMAC/s (default: from the analyzer)', parseNumberOption('--macs', 1, 1e18))
    .option('--providers <list>', 'execution providers to try in order, falling back explicitly (e.g. cuda,cpu)', parseProviders, ['cpu'])
    .option('--json', 'print one JSON object { runs: [...] } instead of the table');
  addStoreOptions(command)
    .action(
      action(async (models: string[], flags: BenchFlags) => {
        const scenarios = parseScenarios(flags.scenario);
        const shape = flags.shape ? parseShape(flags.shape) : undefined;
        if (flags.maxRuns !== undefined && flags.maxRuns < flags.runs) {
          throw new EdgeoptError(`--max-runs (${flags.maxRuns}) must be at least --runs (${flags.runs})`);
        }
        for (const model of models) await assertReadableFile(model, 'model');
        const progress = stderrProgress({ quiet: flags.json });
        const inputImage = flags.image ? await imageInput(flags.image, models, shape) : undefined;
        const compute = new Map<string, ModelCompute>();
        for (const model of models) compute.set(model, await modelCompute(model, shape, flags.macs, progress));
        progress.step(`benchmarking ${models.length} model(s), scenario(s) ${scenarios.join(', ')}, ${flags.runs} runs in ${flags.rounds} round(s)`);
        const results: BenchResult[] = await benchmarkModels(models, {
          scenarios,
          runs: flags.runs,
          warmup: flags.warmup,
          rounds: flags.rounds,
          maxRuns: flags.maxRuns,
          inputShape: shape,
          inputImage,
          timeoutMs: flags.timeoutS * 1000,
          providers: flags.providers,
          onProgress: (e) =>
            progress.step(
              `round ${e.round}: ${basename(e.model)} ${e.scenario}/${e.threads} thr → ${e.error ? `error: ${e.error}` : `p50 ${e.p50Ms?.toFixed(2)} ms over ${e.pooledRuns} runs`} (${e.done}/${e.planned})`,
            ),
        });
        const rows: BenchRow[] = results.map((result) => {
          const c = compute.get(result.model);
          return { result, plausibility: c?.macs ? checkRunPlausibility(result, c.macs, c.precision) : undefined };
        });
        // Said even with --json (on stderr): a silent fallback would make the numbers lie about where they came from.
        const fallbacks = new Set<string>();
        for (const r of results) {
          const run = r.provenance.run;
          for (const f of run?.failedProviders ?? []) fallbacks.add(`${basename(r.model)}: provider ${f.provider} unavailable (${f.reason}); ran on ${run!.provider}`);
        }
        for (const line of fallbacks) process.stderr.write(`edgeopt: warning: ${line}\n`);
        process.stdout.write(flags.json ? `${JSON.stringify(benchRunsJson(rows), null, 2)}\n` : formatBenchTable(rows));
        await recordRun(flags, async (device) => {
          const { benchRun, hashFiles } = await import('../../store/capture.js');
          const { TOOL_VERSION } = await import('../../pipeline/run.js');
          const settings = { scenarios, runs: flags.runs, warmup: flags.warmup, rounds: flags.rounds, maxRuns: flags.maxRuns, shape, image: flags.image, providers: flags.providers, timeoutS: flags.timeoutS };
          return benchRun(results, await hashFiles(models), settings, device, TOOL_VERSION);
        }, progress);
        return results.some((r) => r.error) ? 1 : 0;
      }),
    );
}

// Re-exported so that the command index imports both measurement commands with one line.
export { registerDiagnose } from './diagnose.js';
