import { Option, type Command } from 'commander';
import { quantizeMixedPrecisionFile, type MixedPrecisionFileResult } from '../../pipeline/mixed-precision.js';
import { CALIBRATION_METHODS, QUANT_TYPES, modes, quantizeModelFile, type QuantType, type QuantizeFileResult } from '../../quantize/index.js';
import { parseMaxBad } from '../../util/data-quality.js';
import { EdgeoptError } from '../../util/errors.js';
import { assertReadableFile } from '../../util/fs.js';
import { stderrProgress } from '../../util/progress.js';
import { action, parseNumberOption } from '../action.js';
import { addContractOptions, contractFlagsFrom, type ContractOptionFlags } from '../contract-options.js';

interface QuantizeFlags extends ContractOptionFlags {
  output: string;
  mode: string;
  weightType?: string;
  perChannel?: boolean;
  perTensor?: boolean;
  exclude?: string;
  opTypes?: string;
  gridSnap: boolean;
  calib?: string;
  calibLimit?: number;
  maxBad?: number;
  strict?: boolean;
  method?: string;
  percentile?: number;
  activationType?: string;
  ops?: string;
  excludeHead: boolean;
  headExclusion?: string;
  skipStem: boolean;
  keepIoTypes: boolean;
  fp16Block?: string;
  maxDrop?: number;
  eval?: string;
  evalImages?: number;
  json?: boolean;
}

export function registerQuantize(program: Command): void {
  const command = program
    .command('quantize')
    .description('make an INT8 or FP16 variant of an ONNX model (dynamic INT8, static QDQ INT8 with calibration, FP16, accuracy-aware mixed INT8/float), or rebuild the FP32 model of a quantized one (dequantize)')
    .argument('<model>', 'input ONNX model')
    .requiredOption('-o, --output <path>', 'where to write the quantized model')
    .option('--mode <mode>', `quantization mode (${Object.keys(modes).join(', ')})`, 'dynamic')
    .option('--weight-type <type>', `weight storage type (${QUANT_TYPES.join(', ')}); dynamic default uint8, static always int8`)
    .option('--per-channel', 'one weight scale per output channel (static: the default)')
    .option('--per-tensor', 'one weight scale per tensor (static)')
    .option('--exclude <list>', 'comma-separated node names, op types or output tensor names to keep in float')
    .option('--op-types <list>', 'comma-separated op types to quantize (default: all the mode supports)')
    .option('--no-grid-snap', "dynamic: use onnxruntime's scale formula even for weights already on a quantization grid")
    .option('--calib <dir>', 'static: folder of calibration images (preprocessed like the model input), or a data.yaml (its train split) / COCO JSON')
    .option('--calib-limit <n>', 'static: use at most this many calibration images', parseNumberOption('--calib-limit', 1, 1e6, true))
    .option('--max-bad <percent>', 'static: fail when more than this share of the calibration images (or --eval data) is unreadable; each is skipped with a warning', parseMaxBad, 0.05)
    .option('--strict', 'static: fail at the first unreadable calibration image or bad label')
    .addOption(new Option('--method <name>', 'static: calibration method').choices([...CALIBRATION_METHODS]).default('percentile'))
    .option('--percentile <p>', 'static: percentile for --method percentile', parseNumberOption('--percentile', 50, 100), 99.999)
    .addOption(new Option('--activation-type <type>', 'static: activation type (uint8 asymmetric is the fast x86 path)').choices([...QUANT_TYPES]).default('uint8'))
    .option('--ops <list>', "static: 'all' (Conv, SiLU, Add, Concat, MaxPool, Resize), 'conv', or comma-separated op types", 'all')
    .option('--no-exclude-head', 'static: also quantize the detection head (box decoding, DFL, final convs)')
    .addOption(new Option('--head-exclusion <level>', "static: which part of the head stays float: 'final-convs' (decoding, DFL and the last conv of each branch) or 'decode'").choices(['final-convs', 'decode']))
    .option('--no-skip-stem', 'static: quantize the stem conv too (it ran slower in INT8 on x86 here)')
    .option('--no-keep-io-types', 'fp16: make the graph inputs and outputs float16 too')
    .option('--fp16-block <ops>', 'fp16: comma-separated op types kept in float32')
    .option('--max-drop <points>', 'static: accuracy-aware mixed precision; return layers to float until mAP50-95 drops at most this much (needs --eval)', parseNumberOption('--max-drop', 0, 100))
    .option('--eval <path>', 'dataset for --max-drop (YOLO or VOC folder, data.yaml, COCO JSON)')
    .option('--eval-images <n>', 'evaluate --max-drop on at most this many images', parseNumberOption('--eval-images', 1, 1e6, true))
    .option('--json', 'print one JSON object instead of the summary');
  addContractOptions(command)
    .action(
      action(async (modelPath: string, flags: QuantizeFlags) => {
        const contractFlags = contractFlagsFrom(flags);
        if (!modes[flags.mode]) {
          throw new EdgeoptError(`unknown --mode '${flags.mode}' (available: ${Object.keys(modes).join(', ')})`);
        }
        if (flags.weightType !== undefined && !QUANT_TYPES.includes(flags.weightType as QuantType)) {
          throw new EdgeoptError(`unknown --weight-type '${flags.weightType}' (use ${QUANT_TYPES.join(' or ')})`);
        }
        await assertReadableFile(modelPath, 'model');
        // --json quiets progress, not warnings (a skipped calibration image is never silent).
        const progress = { ...stderrProgress({ quiet: flags.json }), warn: stderrProgress().warn };
        progress.step(`quantizing ${modelPath} (${flags.mode})`);
        if (flags.mode === 'static' && !flags.calib) throw new EdgeoptError('--mode static needs --calib <image folder>');
        if (flags.maxDrop !== undefined && (flags.mode !== 'static' || !flags.eval)) {
          throw new EdgeoptError('--max-drop needs --mode static and --eval <dataset>');
        }
        // The contract says how calibration images become feeds, and every file written carries it.
        const { contractFeedBuilder, contractStamp, readContract, unconfirmedPreprocessing } = await import('../../eval/contract/index.js');
        const contract = await readContract(modelPath, contractFlags);
        const calibFeeds = flags.calib ? contractFeedBuilder(contract) : undefined;
        const guessed = flags.calib ? unconfirmedPreprocessing(contract) : undefined;
        if (guessed) progress.warn(`calibrating with ${guessed}`);
        const options = {
          stamp: contractStamp(contractFlags),
          calibFeeds,
          mode: flags.mode,
          weightType: flags.weightType as QuantType | undefined,
          perChannel: flags.perTensor ? false : flags.perChannel,
          exclude: splitList(flags.exclude),
          opTypes: splitList(flags.opTypes),
          snapToGrid: flags.gridSnap,
          calib: flags.calib,
          calibLimit: flags.calibLimit,
          maxBad: flags.maxBad,
          strict: flags.strict,
          method: flags.method,
          percentile: flags.percentile,
          activationType: flags.activationType,
          ops: flags.ops === 'all' || flags.ops === 'conv' ? flags.ops : splitList(flags.ops),
          excludeHead: flags.excludeHead ? (flags.headExclusion ?? true) : false,
          skipStem: flags.skipStem,
          keepIoTypes: flags.keepIoTypes,
          blockList: splitList(flags.fp16Block),
          progress,
        };
        if (flags.maxDrop !== undefined) {
          const mixed = await quantizeMixedPrecisionFile(modelPath, flags.output, { ...options, maxDrop: flags.maxDrop, evalData: flags.eval!, evalImages: flags.evalImages });
          process.stdout.write(flags.json ? `${JSON.stringify(mixed, null, 2)}\n` : formatMixed(mixed));
          return mixed.report.met ? 0 : 3;
        }
        const result = await quantizeModelFile(modelPath, flags.output, options);
        for (const name of result.report.unmatchedExcludes) progress.warn(`--exclude '${name}' matched no node`);
        process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatSummary(result));
      }),
    );
}

function formatMixed(result: MixedPrecisionFileResult): string {
  const r = result.report;
  const lat = (ms?: number) => (ms === undefined ? '' : `, ${ms.toFixed(1)} ms`);
  const lines = [
    `${result.inputPath} -> ${result.outputPath} (mixed precision, target: at most ${r.maxDrop} mAP50-95 points below FP32 ${r.baselineMap.toFixed(2)})`,
    `  fully INT8   mAP50-95 ${r.fullyQuantized.map.toFixed(2)} (−${r.fullyQuantized.drop.toFixed(2)})${lat(r.fullyQuantized.latencyMs)}`,
    `  final        mAP50-95 ${r.final.map.toFixed(2)} (−${r.final.drop.toFixed(2)})${lat(r.final.latencyMs)}, ${r.final.floatBlocks.length} conv blocks in float`,
    ...r.final.floatBlocks.map((b) => `    float: ${b}`),
    ...(r.latencyCostMs === undefined ? [] : [`  latency cost of the float blocks: ${r.latencyCostMs.toFixed(1)} ms`]),
    `  target ${r.met ? 'met' : 'NOT met'}`,
  ];
  return `${lines.join('\n')}\n`;
}

function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

function histogram(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([op, n]) => `${op} ${n}`).join(', ') : 'none';
}

function formatSummary(result: QuantizeFileResult): string {
  const r = result.report;
  const layout = `${r.weightType} weights, ${r.perChannel ? 'per-channel' : 'per-tensor'}${r.symmetricWeights ? ', symmetric' : ''}`;
  const size = result.compression >= 1 ? `${result.compression.toFixed(2)}x smaller` : `${(1 / result.compression).toFixed(2)}x larger`;
  const lines = [
    `${result.inputPath} -> ${result.outputPath} (${r.mode}, ${layout})`,
    `  ${r.mode === 'dequantize' ? 'rebuilt  ' : 'quantized'}  ${histogram(r.quantized)}`,
    `  inserted   ${histogram(r.inserted)}`,
    `  skipped    ${r.skipped.length}`,
    ...r.skipped.slice(0, 10).map((s) => `    ${s.opType} ${s.node}: ${s.reason}`),
    ...(r.skipped.length > 10 ? [`    … ${r.skipped.length - 10} more (see --json)`] : []),
    `  nodes      ${r.nodesBefore} -> ${r.nodesAfter}`,
    `  size       ${megabytes(result.inputBytes)} -> ${megabytes(result.outputBytes)} (${size})`,
    `  time       ${result.quantizeMs.toFixed(0)} ms quantizing, ${result.totalMs.toFixed(0)} ms with load and save`,
    ...r.notes.map((n) => `  note: ${n}`),
  ];
  return `${lines.join('\n')}\n`;
}
