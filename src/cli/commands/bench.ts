import type { Command } from 'commander';
import type { BenchResult } from '../../bench/benchmark.js';
import type { ModelCompute } from '../../bench/plan.js';
import { parseShape } from '../../bench/input.js';
import { parseScenarios } from '../../bench/scenarios.js';
import { EdgeoptError } from '../../util/errors.js';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';
import { LIMITS, progressFor, providersOption, quietOption, roundsOption, runsOption, timeoutOption, warmupOption } from '../options.js';
import { addStoreOptions, recordRun, type StoreFlags } from '../store.js';
import { warnProviderFallbacks } from '../warnings.js';

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
  providers: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerBench(program: Command): void {
  const command = defineCommand(program, 'bench')
    .argument('<models...>', 'ONNX model files')
    .option('--scenario <name>', 'controlled | practical | sweep | all (or a comma list)', 'controlled')
    .addOption(runsOption('timed runs per model and scenario, pooled over the rounds', 100))
    .addOption(warmupOption('untimed warm-up runs in every child process', 10))
    .addOption(roundsOption('rounds of child processes, in rotated model order', 3))
    .option('--shape <dims>', 'input shape for the first float input, e.g. 1,3,640,640 (symbolic dims default to 1)')
    .option('--image <file>', 'use this image (letterboxed) as input instead of seeded random data')
    .option('--max-runs <n>', 'cap on runs while the median CI is wider than ±2% (default 5 × runs)', parseNumberOption('--max-runs', LIMITS.runs.min, LIMITS.runs.max, true))
    .addOption(timeoutOption('time limit per child process, seconds'))
    .option('--macs <n>', 'multiply-accumulates per inference for GMAC/s (default: from the analyzer)', parseNumberOption('--macs', 1, 1e18))
    .addOption(providersOption())
    .option('--json', 'print one JSON object { runs: [...] } instead of the table')
    .addOption(quietOption());
  addStoreOptions(command)
    .action(
      action(async (models: string[], flags: BenchFlags) => {
        const scenarios = parseScenarios(flags.scenario);
        const shape = flags.shape ? parseShape(flags.shape) : undefined;
        if (flags.maxRuns !== undefined && flags.maxRuns < flags.runs) {
          throw new EdgeoptError(`--max-runs (${flags.maxRuns}) must be at least --runs (${flags.runs})`);
        }
        const { parseProviders } = await import('../../runtime/providers.js');
        const providers = parseProviders(flags.providers);
        const { assertReadableFile } = await import('../../util/fs.js');
        for (const model of models) await assertReadableFile(model, 'model');
        const { basename } = await import('node:path');
        const { benchmarkModels } = await import('../../bench/benchmark.js');
        const { benchRows, benchRunsJson, imageBenchInput, modelCompute } = await import('../../bench/plan.js');
        const { formatBenchTable } = await import('../../bench/format.js');
        const progress = progressFor(flags);
        const inputImage = flags.image ? await imageBenchInput(flags.image, models[0]!, shape) : undefined;
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
          providers,
          onProgress: (e) =>
            progress.step(
              `round ${e.round}: ${basename(e.model)} ${e.scenario}/${e.threads} thr → ${e.error ? `error: ${e.error}` : `p50 ${e.p50Ms?.toFixed(2)} ms over ${e.pooledRuns} runs`} (${e.done}/${e.planned})`,
            ),
        });
        const rows = benchRows(results, compute);
        warnProviderFallbacks(results.flatMap((r) => (r.provenance.run ? [{ label: basename(r.model), ...r.provenance.run }] : [])));
        process.stdout.write(flags.json ? `${JSON.stringify(benchRunsJson(rows), null, 2)}\n` : formatBenchTable(rows));
        await recordRun(flags, async (device) => {
          const { benchRun, hashFiles } = await import('../../store/capture.js');
          const { TOOL_VERSION } = await import('../../util/version.js');
          const settings = { scenarios, runs: flags.runs, warmup: flags.warmup, rounds: flags.rounds, maxRuns: flags.maxRuns, shape, image: flags.image, providers, timeoutS: flags.timeoutS };
          return benchRun(results, await hashFiles(models), settings, device, TOOL_VERSION);
        }, progress);
        return results.some((r) => r.error) ? 1 : 0;
      }),
    );
}
