import { Option, type Command } from 'commander';
import type { FeedBuilder } from '../../quantize/calibrate/feeds.js';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../../quantize/calibrate/methods.js';
import type { QuantizeModeName, QuantizeOptions } from '../../quantize/modes.js';
import { STATIC_MODE_DEFAULTS } from '../../quantize/static/defaults.js';
import type { HeadExclusion } from '../../quantize/static/head.js';
import type { CommonModeOptions } from '../../quantize/types.js';
import { QUANT_TYPES, type QuantType } from '../../quantize/math.js';
import { QUANTIZE_MODE_NAMES } from '../../quantize/mode-names.js';
import { parseMaxBad } from '../../util/data-quality.js';
import { EdgeoptError } from '../../util/errors.js';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';
import { addContractOptions, contractFlagsFrom, type ContractOptionFlags } from '../contract-options.js';
import { LIMITS, calibImagesOption, countParser, deprecatedAlias, evalImagesOption, progressFor, providersOption, quietOption } from '../options.js';

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
  calibImages?: number;
  maxBad?: number;
  strict?: boolean;
  method?: string;
  percentile?: number;
  activationType?: string;
  ops?: string;
  excludeHead: boolean;
  headExclusion?: string;
  skipStem: boolean;
  biasCorrection?: boolean;
  keepIoTypes: boolean;
  fp16Block?: string;
  maxDrop?: number;
  eval?: string;
  evalImages?: number;
  json?: boolean;
  quiet?: boolean;
  recipe?: string;
  budgetMin?: number;
  providers: string;
}

export function registerQuantize(program: Command): void {
  const calibImages = calibImagesOption('static: use at most this many calibration images');
  const command = defineCommand(program, 'quantize')
    .argument('<model>', 'input ONNX model')
    .requiredOption('-o, --output <path>', 'where to write the quantized model')
    .option('--mode <mode>', `quantization mode: ${QUANTIZE_MODE_NAMES.join(' | ')} (auto: search this model's fastest INT8 configuration on this device within --max-drop)`, 'dynamic')
    .option('--recipe <file>', 'apply a recipe written by --mode auto (its ranges: the same model again; with --calib: re-calibrated by its methods)')
    .option('--budget-min <minutes>', 'auto: time budget of the search (default 10)', parseNumberOption('--budget-min', 0.1, 24 * 60))
    .option('--weight-type <type>', `weight storage type (${QUANT_TYPES.join(', ')}); dynamic default uint8, static always int8`)
    .option('--per-channel', 'one weight scale per output channel (static: the default)')
    .option('--per-tensor', 'one weight scale per tensor (static)')
    .option('--exclude <list>', 'comma-separated node names, op types or output tensor names to keep in float')
    .option('--op-types <list>', 'comma-separated op types to quantize (default: all the mode supports)')
    .option('--no-grid-snap', "dynamic: use onnxruntime's scale formula even for weights already on a quantization grid")
    .option('--calib <dir>', 'static: folder of calibration images (preprocessed like the model input), or a data.yaml (its train split) / COCO JSON')
    .addOption(calibImages)
    .option('--max-bad <percent>', 'static: fail when more than this share of the calibration images (or --eval data) is unreadable; each is skipped with a warning', parseMaxBad, 0.05)
    .option('--strict', 'static: fail at the first unreadable calibration image or bad label')
    .addOption(new Option('--method <name>', 'static: calibration method').choices([...CALIBRATION_METHODS]).default('percentile'))
    .option('--percentile <p>', 'static: percentile for --method percentile', parseNumberOption('--percentile', 50, 100), 99.999)
    .addOption(new Option('--activation-type <type>', 'static: activation type (uint8 asymmetric is the fast x86 path)').choices([...QUANT_TYPES]).default('uint8'))
    .option('--ops <list>', "static: 'all' (Conv, SiLU, Add, Concat, MaxPool, Resize), 'conv', or comma-separated op types", 'all')
    .option('--no-exclude-head', 'static: also quantize the detection head (box decoding, DFL, final convs)')
    .addOption(new Option('--head-exclusion <level>', "static: which part of the head stays float: 'final-convs' (decoding, DFL and the last conv of each branch) or 'decode'").choices(['final-convs', 'decode']))
    .option('--no-bias-correction', 'static: skip bias correction (on by default: each int8 conv\'s mean output shift, measured on 16 calibration images, is subtracted from its bias)')
    .option('--no-skip-stem', 'static: quantize the stem conv too (it ran slower in INT8 on x86 here)')
    .option('--no-keep-io-types', 'fp16: make the graph inputs and outputs float16 too')
    .option('--fp16-block <ops>', 'fp16: comma-separated op types kept in float32')
    .option('--max-drop <points>', 'auto: largest paired mAP50-95 drop accepted (default 0.3); static: accuracy-aware mixed precision, layers back to float until mAP50-95 drops at most this much (needs --eval)', parseNumberOption('--max-drop', 0, 100))
    .option('--eval <path>', 'dataset for --max-drop and for auto\'s paired mAP confirmation (YOLO or VOC folder, data.yaml, COCO JSON)')
    .addOption(evalImagesOption('evaluate --max-drop on at most this many images'))
    .addOption(providersOption('for the sessions quantization opens: static calibration, mixed precision, auto'))
    .option('--json', 'print one JSON object instead of the summary')
    .addOption(quietOption());
  deprecatedAlias(command, '--calib-limit', calibImages, countParser('--calib-limit', LIMITS.images));
  addContractOptions(command)
    .action(
      action(async (modelPath: string, flags: QuantizeFlags) => {
        const contractFlags = await contractFlagsFrom(flags);
        if (!(QUANTIZE_MODE_NAMES as readonly string[]).includes(flags.mode)) {
          throw new EdgeoptError(`unknown --mode '${flags.mode}' (available: ${QUANTIZE_MODE_NAMES.join(', ')})`);
        }
        const { isQuantizeModeName, quantizeModelFile } = await import('../../quantize/index.js');
        const { parseProviders } = await import('../../runtime/providers.js');
        const providers = parseProviders(flags.providers);
        if (flags.recipe) flags.mode = 'recipe';
        const mode = flags.mode;
        if (flags.weightType !== undefined && !QUANT_TYPES.includes(flags.weightType as QuantType)) {
          throw new EdgeoptError(`unknown --weight-type '${flags.weightType}' (use ${QUANT_TYPES.join(' or ')})`);
        }
        const { assertReadableFile } = await import('../../util/fs.js');
        await assertReadableFile(modelPath, 'model');
        // --json and --quiet silence progress, not warnings (a skipped calibration image is never silent).
        const progress = progressFor(flags);
        const { formatMixedPrecision, formatQuantizeSummary } = await import('../../quantize/format.js');
        progress.step(`quantizing ${modelPath} (${flags.mode})`);
        if (flags.mode === 'static' && !flags.calib) throw new EdgeoptError('--mode static needs --calib <image folder>');
        if (flags.mode === 'auto' && !flags.calib) throw new EdgeoptError('--mode auto needs --calib <image folder>');
        if (flags.budgetMin !== undefined && flags.mode !== 'auto') throw new EdgeoptError('--budget-min needs --mode auto');
        if (flags.maxDrop !== undefined && flags.mode !== 'auto' && (flags.mode !== 'static' || !flags.eval)) {
          throw new EdgeoptError('--max-drop needs --mode auto, or --mode static and --eval <dataset>');
        }
        // The contract says how calibration images become feeds, and every file written carries it.
        const { contractFeedBuilder, contractStamp, readContract, unconfirmedPreprocessing } = await import('../../eval/contract/index.js');
        const contract = await readContract(modelPath, contractFlags);
        const calibFeeds = flags.calib ? contractFeedBuilder(contract) : undefined;
        const guessed = flags.calib ? unconfirmedPreprocessing(contract) : undefined;
        if (guessed) progress.warn(`calibrating with ${guessed}`);
        const stamp = contractStamp(contractFlags);
        if (flags.mode === 'auto') return autoQuantize(modelPath, flags, { stamp, calibFeeds, progress, providers });
        if (flags.mode === 'recipe') return applyRecipe(modelPath, flags, { stamp, calibFeeds, progress, providers });
        if (!isQuantizeModeName(mode)) throw new EdgeoptError(`unknown --mode '${mode}'`);
        const request = quantizeRequest(mode, flags, { exclude: splitList(flags.exclude), progress }, calibFeeds, providers);
        const options = { ...request, stamp };
        if (flags.maxDrop !== undefined) {
          const { quantizeMixedPrecisionFile } = await import('../../pipeline/mixed-precision.js');
          const staticRequest = quantizeRequest('static', flags, { exclude: splitList(flags.exclude), progress }, calibFeeds, providers);
          const mixed = await quantizeMixedPrecisionFile(modelPath, flags.output, { ...staticRequest, stamp: options.stamp, maxDrop: flags.maxDrop, evalData: flags.eval!, evalImages: flags.evalImages, providers });
          process.stdout.write(flags.json ? `${JSON.stringify(mixed, null, 2)}\n` : formatMixedPrecision(mixed));
          return mixed.report.met ? 0 : 3;
        }
        const result = await quantizeModelFile(modelPath, flags.output, options);
        for (const name of result.report.unmatchedExcludes) progress.warn(`--exclude '${name}' matched no node`);
        process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatQuantizeSummary(result));
      }),
    );
}

/** The typed request for one mode, from the flags that mode reads (the others are ignored, as --help says). */
function quantizeRequest<M extends QuantizeModeName>(mode: M, flags: QuantizeFlags, common: CommonModeOptions, calibFeeds: FeedBuilder | undefined, providers: string[]): QuantizeOptions<M>;
function quantizeRequest(mode: QuantizeModeName, flags: QuantizeFlags, common: CommonModeOptions, calibFeeds: FeedBuilder | undefined, providers: string[]): QuantizeOptions {
  const weightType = flags.weightType as QuantType | undefined; // checked against QUANT_TYPES above
  const perChannel = flags.perTensor ? false : flags.perChannel;
  switch (mode) {
    case 'dynamic':
      return { mode, ...common, weightType, perChannel, opTypes: splitList(flags.opTypes), snapToGrid: flags.gridSnap };
    case 'static':
      return {
        mode,
        ...common,
        weightType,
        perChannel,
        opTypes: splitList(flags.opTypes),
        calib: flags.calib,
        calibLimit: flags.calibImages,
        calibFeeds,
        maxBad: flags.maxBad,
        strict: flags.strict,
        method: flags.method as CalibrationMethod | undefined, // commander's .choices() restricted it
        percentile: flags.percentile,
        activationType: flags.activationType as QuantType | undefined, // .choices() too
        ops: flags.ops === 'all' || flags.ops === 'conv' ? flags.ops : splitList(flags.ops),
        excludeHead: flags.excludeHead ? ((flags.headExclusion as HeadExclusion | undefined) ?? true) : false,
        skipStem: flags.skipStem,
        calibrationSession: { providers },
        // The search's every-model choices (accuracy-aware mixed precision steps through plain variants instead).
        ...(flags.maxDrop === undefined ? { ...STATIC_MODE_DEFAULTS, biasCorrection: flags.biasCorrection !== false } : {}),
      };
    case 'fp16':
      return { mode, ...common, keepIoTypes: flags.keepIoTypes, blockList: splitList(flags.fp16Block) };
    case 'dequantize':
      return { mode, ...common };
  }
}

interface Shared {
  stamp: import('../../onnx/builder.js').MetadataStamp;
  calibFeeds?: import('../../quantize/calibrate/index.js').FeedBuilder;
  progress: import('../../util/progress.js').Progress;
  providers: string[];
}

/** --mode auto: the search; exit 3 when no INT8 configuration beats FP32 here within the accuracy budget. */
async function autoQuantize(modelPath: string, flags: QuantizeFlags, shared: Shared): Promise<number> {
  const { autoQuantizeFile } = await import('../../pipeline/auto-quantize.js');
  const { formatAutoQuantize } = await import('../../quantize/search/format.js');
  // Ctrl-C once: stop exploring, verify and keep the best configuration so far. Twice: stop now.
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    shared.progress.warn('interrupted: finishing with the best configuration found so far (Ctrl-C again to stop now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    const result = await autoQuantizeFile(modelPath, flags.output, {
      calib: flags.calib!,
      calibLimit: flags.calibImages,
      calibFeeds: shared.calibFeeds,
      maxBad: flags.maxBad,
      strict: flags.strict,
      evalData: flags.eval,
      evalImages: flags.evalImages,
      maxDrop: flags.maxDrop,
      budgetMs: flags.budgetMin !== undefined ? flags.budgetMin * 60_000 : undefined,
      signal: controller.signal,
      progress: shared.progress,
      stamp: shared.stamp,
      providers: shared.providers,
    });
    process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatAutoQuantize(result));
    if (result.search.verdict !== 'found') {
      process.stderr.write(`edgeopt: no INT8 model written: ${result.search.reason}\n`);
      return 3;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** --recipe: the recipe's configuration again (its stored ranges, or re-calibrated with --calib). */
async function applyRecipe(modelPath: string, flags: QuantizeFlags, shared: Shared): Promise<void> {
  const { readRecipe, quantizeWithRecipe } = await import('../../quantize/recipe.js');
  const { loadModel, saveModel } = await import('../../onnx/model-io.js');
  const { setMetadata } = await import('../../onnx/builder.js');
  const { formatQuantizeSummary } = await import('../../quantize/format.js');
  const { stat } = await import('node:fs/promises');
  const recipe = await readRecipe(flags.recipe!);
  const start = performance.now();
  const model = await loadModel(modelPath);
  const calibration = flags.calib
    ? { imageDir: flags.calib, limit: flags.calibImages, feeds: shared.calibFeeds, quality: { maxBad: flags.maxBad, strict: flags.strict, onWarning: (line: string) => shared.progress.warn(line) } }
    : undefined;
  const quantizeStart = performance.now();
  const { model: quantized, report } = await quantizeWithRecipe(model, recipe, { calibration, progress: shared.progress, calibrationSession: { providers: shared.providers } });
  const quantizeMs = performance.now() - quantizeStart;
  setMetadata(quantized, shared.stamp(quantized));
  const outputBytes = await saveModel(quantized, flags.output);
  const inputBytes = (await stat(modelPath)).size;
  const result = { report, inputPath: modelPath, outputPath: flags.output, inputBytes, outputBytes, compression: inputBytes / outputBytes, quantizeMs, totalMs: performance.now() - start };
  process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : formatQuantizeSummary(result));
}

function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
