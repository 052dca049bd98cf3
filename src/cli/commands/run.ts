import type { Command } from 'commander';
import { join, resolve } from 'node:path';
import { parseScenarios, type ScenarioName } from '../../bench/scenarios.js';
import { parseProviders } from '../../bench/session.js';
import { runPipeline } from '../../pipeline/run.js';
import { VARIANT_PLANS } from '../../pipeline/variants.js';
import { parseMaxBad } from '../../util/data-quality.js';
import { EdgeoptError } from '../../util/errors.js';
import { stderrProgress } from '../../util/progress.js';
import { action, parseNumberOption } from '../action.js';
import { addStoreOptions, recordRun, type StoreFlags } from '../store.js';

interface RunFlags extends StoreFlags {
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
  timeoutS?: number;
  providers: string[];
  demo?: boolean;
  port: number;
  quiet?: boolean;
}

export function registerRun(program: Command): void {
  const command = program
    .command('run')
    .description('the whole loop: prepare the model, build FP32/FP16/dynamic INT8/static INT8 variants, evaluate, benchmark, profile, select, and write results.json + report.md')
    .option('-m, --model <model>', "a .onnx or .pt file, 'default' (built-in synthetic YOLOv5n), or yolov5n|yolov5nu|yolov8n (official file from the cache); default: the shared YOLOv5nu when present, else the built-in model")
    .option('-o, --output <dir>', 'output directory', 'edgeopt-out')
    .option('--runs <n>', 'timed runs per variant and scenario (more are added while the median is not known to ±2%)', parseNumberOption('--runs', 1, 100000, true), 100)
    .option('--warmup <n>', 'untimed warm-up runs per process', parseNumberOption('--warmup', 0, 10000, true), 10)
    .option('--rounds <n>', 'rounds of fresh processes per run set (rotated order)', parseNumberOption('--rounds', 1, 100, true), 3)
    .option('--scenario <list>', 'controlled, practical, sweep, a comma list, or all', 'controlled,practical')
    .option('--eval <path>', 'dataset for mAP (YOLO or VOC folder, data.yaml, COCO JSON); default: shared coco_val128 when present')
    .option('--no-eval', 'skip the accuracy measurement')
    .option('--eval-images <n>', 'evaluate on at most this many images', parseNumberOption('--eval-images', 1, 1e6, true))
    .option('--calib <path>', 'image folder (or data.yaml: its train split) for static INT8 calibration; default: shared coco128 when present')
    .option('--no-calib', 'skip static INT8 (no calibration)')
    .option('--calib-images <n>', 'calibrate on at most this many images', parseNumberOption('--calib-images', 1, 1e6, true))
    .option('--max-bad <percent>', 'fail accuracy or calibration when more than this share of the images or labels is bad (each is skipped with a warning)', parseMaxBad, 0.05)
    .option('--strict', 'fail at the first bad image or label')
    .option('--variants <list>', `only these variants besides fp32 (${VARIANT_PLANS.filter((p) => p.name !== 'fp32').map((p) => p.name).join(', ')})`)
    .option('--timeout-s <s>', 'time limit per benchmark/profile child process', parseNumberOption('--timeout-s', 1, 86400))
    .option('--providers <list>', 'execution providers to try in order, falling back explicitly (e.g. cuda,cpu)', parseProviders, ['cpu'])
    .option('--demo', 'start the browser demo on the results when done')
    .option('--port <port>', 'demo port', parseNumberOption('--port', 1, 65535, true), 8080)
    .option('-q, --quiet', 'no progress on stderr');
  addStoreOptions(command, 'the run')
    .action(
      action(async (flags: RunFlags) => {
        const scenarios: ScenarioName[] = parseScenarios(flags.scenario);
        const variants = flags.variants?.split(',').map((s) => s.trim()).filter(Boolean);
        for (const v of variants ?? []) {
          if (!VARIANT_PLANS.some((p) => p.name === v)) throw new EdgeoptError(`unknown variant '${v}' (choose from ${VARIANT_PLANS.map((p) => p.name).join(', ')})`);
        }
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
            timeoutMs: flags.timeoutS === undefined ? undefined : flags.timeoutS * 1000,
            providers: flags.providers,
            progress,
            signal: controller.signal,
          });
          process.stdout.write(summarize(results, outDir));
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

function summarize(results: Awaited<ReturnType<typeof runPipeline>>, outDir: string): string {
  const lines: string[] = [];
  const fp32 = results.variants.find((v) => v.name === 'fp32');
  lines.push(`model: ${results.model.name}${results.model.synthetic ? ' (synthetic weights: latency only)' : ''}`);
  lines.push('');
  lines.push(`${'variant'.padEnd(24)} ${'size MB'.padStart(8)} ${'1-thr p50'.padStart(10)} ${'vs FP32'.padStart(8)} ${'N-thr p50'.padStart(10)} ${'mAP50-95'.padStart(9)}`);
  for (const v of results.variants) {
    const c = v.benchmarks.controlled;
    const p = v.benchmarks.practical;
    const ratio = c && fp32?.benchmarks.controlled ? `${(fp32.benchmarks.controlled.p50Ms / c.p50Ms).toFixed(2)}x` : '–';
    lines.push(
      `${v.name.padEnd(24)} ${(v.sizeBytes / 1e6).toFixed(2).padStart(8)} ${(c ? `${c.p50Ms.toFixed(1)} ms` : '–').padStart(10)} ${ratio.padStart(8)} ${(p ? `${p.p50Ms.toFixed(1)} ms` : '–').padStart(10)} ${(v.accuracy ? (v.accuracy.map50_95 * 100).toFixed(2) : '–').padStart(9)}`,
    );
  }
  lines.push('');
  for (const f of results.headlines ?? results.findings) lines.push(`- ${f}`);
  if (results.headlines && results.findings.length > results.headlines.length) lines.push(`  (${results.findings.length} findings in all: see report.md)`);
  if (results.selection) lines.push('', results.selection.summary);
  lines.push('', `wrote ${join(outDir, 'results.json')} and ${join(outDir, 'report.md')}${results.status === 'partial' ? ' (PARTIAL: see errors in the report)' : ''}`);
  return `${lines.join('\n')}\n`;
}
