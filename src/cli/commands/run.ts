import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { parseScenarios, type ScenarioName } from '../../bench/scenarios.js';
import { assertKnownVariants, VARIANT_PLANS } from '../../pipeline/variants.js';
import { parseMaxBad } from '../../util/data-quality.js';
import { EdgeoptError } from '../../util/errors.js';
import { stderrProgress } from '../../util/progress.js';
import { action } from '../action.js';
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
    .option('--variants <list>', `only these variants besides fp32 (${VARIANT_PLANS.filter((p) => p.name !== 'fp32').map((p) => p.name).join(', ')})`)
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
        const { parseProviders } = await import('../../runtime/providers.js');
        const providers = parseProviders(flags.providers);
        const { runPipeline } = await import('../../pipeline/run.js');
        const { formatRunSummary } = await import('../../pipeline/summary.js');
        const contract = await contractFlagsFrom(flags);
        const progress = stderrProgress({ quiet: flags.quiet });
        const outDir = resolve(flags.output);
        const controller = new AbortController();
        const onSigint = () => {
          // The pipeline writes partial results synchronously on abort; benchmark children exit
          // when their parent does.
          controller.abort();
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
            timeoutMs: flags.timeoutS * 1000,
            providers,
            progress,
            signal: controller.signal,
          });
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
