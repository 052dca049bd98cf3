import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { parseScenarios, type ScenarioName } from '../../bench/scenarios.js';
import { assertKnownVariants, VARIANT_PLANS } from '../../pipeline/variants.js';
import { parseMaxBad } from '../../util/data-quality.js';
import { EdgeoptError } from '../../util/errors.js';
import { stderrProgress } from '../../util/progress.js';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';
import { calibImagesOption, evalImagesOption, portOption, providersOption, quietOption, roundsOption, runsOption, timeoutOption, warmupOption } from '../options.js';
import { addStoreOptions, recordRun, type StoreFlags } from '../store.js';
import { addContractOptions, contractFlagsFrom, type ContractOptionFlags } from '../contract-options.js';

interface RunFlags extends StoreFlags, ContractOptionFlags {
  model?: string;
  output: string;
  runs: number;
  warmup: number;
  rounds: number;
  scenario: string;
  eval?: string | false;
  evalImages?: number;
  calib?: string | false;
  calibImages?: number;
  maxBad: number;
  strict?: boolean;
  variants?: string;
  maxDrop?: number;
  budgetMin?: number;
  timeoutS: number;
  providers: string;
  demo?: boolean;
  port: number;
  quiet?: boolean;
}

export function registerRun(program: Command): void {
  const command = defineCommand(program, 'run')
    .option('-m, --model <model>', "a .onnx or .pt file, 'default' (built-in synthetic YOLOv5n), or yolov5n|yolov5nu|yolov8n (official file from the cache); default: the shared YOLOv5nu when present, else the built-in model")
    .option('-o, --output <dir>', 'output directory', 'edgeopt-out')
    .addOption(runsOption('timed runs per variant and scenario (more are added while the median is not known to ±2%)', 100))
    .addOption(warmupOption('untimed warm-up runs per process', 10))
    .addOption(roundsOption('rounds of fresh processes per run set (rotated order)', 3))
    .option('--scenario <list>', 'controlled, practical, sweep, a comma list, or all', 'controlled,practical')
    .option('--eval <path>', 'dataset for mAP (YOLO or VOC folder, data.yaml, COCO JSON); default: shared coco_val128 when present')
    .option('--no-eval', 'skip the accuracy measurement')
    .addOption(evalImagesOption('evaluate on at most this many images'))
    .option('--calib <path>', 'image folder (or data.yaml: its train split) for static INT8 calibration; default: shared coco128 when present')
    .option('--no-calib', 'skip static INT8 (no calibration)')
    .addOption(calibImagesOption('calibrate on at most this many images'))
    .option('--max-bad <percent>', 'fail accuracy or calibration when more than this share of the images or labels is bad (each is skipped with a warning)', parseMaxBad, 0.05)
    .option('--strict', 'fail at the first bad image or label')
    .option(
      '--variants <list>',
      `only these variants besides fp32 (${VARIANT_PLANS.filter((p) => p.name !== 'fp32').map((p) => p.name).join(', ')}); default: ${VARIANT_PLANS.filter((p) => p.name !== 'fp32' && p.byDefault).map((p) => p.name).join(', ')} (the static presets are reference points for the search's int8-auto)`,
    )
    .option('--max-drop <points>', 'int8-auto: largest paired mAP50-95 drop the INT8 search accepts (default 0.3; without labelled data it accepts on output SQNR)', parseNumberOption('--max-drop', 0, 100))
    .option('--budget-min <minutes>', 'int8-auto: time budget of the INT8 search (default 10; 2 for the built-in synthetic model)', parseNumberOption('--budget-min', 0.1, 24 * 60))
    .addOption(timeoutOption('time limit per benchmark/profile child process, seconds'))
    .addOption(providersOption())
    .option('--demo', 'start the browser demo on the results when done')
    .addOption(portOption('demo port', 8080))
    .addOption(quietOption());
  addContractOptions(command);
  addStoreOptions(command, 'the run')
    .action(
      action(async (flags: RunFlags) => {
        const scenarios: ScenarioName[] = parseScenarios(flags.scenario);
        const variants = flags.variants?.split(',').map((s) => s.trim()).filter(Boolean);
        assertKnownVariants(variants);
        for (const [flag, value] of [['--max-drop', flags.maxDrop], ['--budget-min', flags.budgetMin]] as const) {
          if (value !== undefined && variants && !variants.includes('int8-auto')) throw new EdgeoptError(`${flag} needs the int8-auto variant (add it to --variants)`);
        }
        const { parseProviders } = await import('../../runtime/providers.js');
        const providers = parseProviders(flags.providers);
        const { runPipeline } = await import('../../pipeline/run.js');
        const { formatRunSummary } = await import('../../pipeline/summary.js');
        const contract = await contractFlagsFrom(flags);
        const progress = stderrProgress({ quiet: flags.quiet });
        const outDir = resolve(flags.output);
        const controller = new AbortController();
        let searching = false;
        const onSigint = () => {
          // The pipeline writes partial results synchronously on abort; benchmark children exit
          // when their parent does. During the INT8 search the first Ctrl-C lets it finish with its best
          // configuration so far (verified, written with its recipe), then the run stops; a second one stops now.
          const first = !controller.signal.aborted;
          controller.abort();
          if (first && searching) {
            progress.warn('interrupted: the INT8 search finishes with its best configuration so far, then the run stops (Ctrl-C again to stop now)');
            return;
          }
          progress.warn(`interrupted: partial results written to ${join(outDir, 'results.json')}`);
          process.exit(130);
        };
        process.on('SIGINT', onSigint);
        try {
          const results = await runPipeline({
            contract,
            model: flags.model,
            outDir,
            runs: flags.runs,
            warmup: flags.warmup,
            rounds: flags.rounds,
            scenarios,
            evalData: flags.eval,
            evalImages: flags.evalImages,
            calibData: flags.calib,
            calibImages: flags.calibImages,
            maxBad: flags.maxBad,
            strict: flags.strict,
            variants,
            maxDrop: flags.maxDrop,
            searchBudgetMs: flags.budgetMin !== undefined ? flags.budgetMin * 60_000 : undefined,
            onSearch: (active) => {
              searching = active;
            },
            timeoutMs: flags.timeoutS * 1000,
            providers,
            progress,
            signal: controller.signal,
          }).catch((err: unknown) => {
            if (!controller.signal.aborted) throw err;
            // Interrupted while the INT8 search finished with its best so far: the run stops here.
            progress.warn(`interrupted: partial results written to ${join(outDir, 'results.json')} (the INT8 search's best configuration so far included)`);
            return undefined;
          });
          if (!results) return 130;
          process.stdout.write(formatRunSummary(results, outDir));
          await recordRun(flags, async (device) => {
            const { pipelineRun, hashFiles } = await import('../../store/capture.js');
            return pipelineRun(results, outDir, await hashFiles(results.variants.map((v) => join(outDir, v.path))), device);
          }, progress);
          if (flags.demo) {
            const { startDemoFromRun } = await import('../../demo/from-run.js');
            await startDemoFromRun(outDir, { port: flags.port });
            return;
          }
          return results.status === 'complete' ? 0 : 2;
        } finally {
          process.off('SIGINT', onSigint);
        }
      }),
    );
}
