import type { Command } from 'commander';
import { parseMaxBad } from '../../util/data-quality.js';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';
import { LIMITS, countParser, deprecatedAlias, evalImagesOption, imgszOption, progressFor, providersOption, quietOption } from '../options.js';
import { addStoreOptions, recordRun, type StoreFlags } from '../store.js';
import { addContractOptions, contractFlagsFrom, type ContractOptionFlags } from '../contract-options.js';

interface EvalFlags extends StoreFlags, ContractOptionFlags {
  data: string;
  images?: string;
  maxBad?: number;
  strict?: boolean;
  saveJson?: string;
  reference?: string;
  conf: number;
  iou?: number;
  imgsz?: number;
  evalImages?: number;
  classes?: string;
  perClass?: boolean;
  json?: boolean;
  quiet?: boolean;
  providers: string;
}

export function registerEval(program: Command): void {
  const evalImages = evalImagesOption('evaluate only the first N images');
  const command = defineCommand(program, 'eval')
    .argument('<model>', 'ONNX detector (its contract says how to feed and read it; see edgeopt inspect)')
    .requiredOption('--data <path>', 'a YOLO folder (images/ + labels/), a VOC folder (Annotations/ + JPEGImages/), a data.yaml (its val split) or a COCO annotations .json')
    .option('--images <dir>', 'where the images of a COCO .json (or VOC folder) are, when not where their file names say')
    .option('--max-bad <percent>', 'fail when more than this share of the images or labels is bad (skipped with a warning each)', parseMaxBad, 0.05)
    .option('--strict', 'fail at the first bad image or label instead of skipping it')
    .option('--save-json <file>', 'write the predictions in the COCO results format, and the ground truth as scored beside them (<file>-ground-truth.json), for pycocotools')
    .option('--reference <onnx>', 'FP32 model to compare raw outputs and detections with')
    .option('--conf <x>', 'confidence threshold', parseNumberOption('--conf', 0, 1), 0.001)
    .option('--iou <x>', "NMS IoU threshold (default: the decoder family's validator value, e.g. 0.6 YOLOv5, 0.7 Ultralytics)", parseNumberOption('--iou', 0, 1))
    .addOption(imgszOption('input size for models with a dynamic input shape'))
    .addOption(evalImages)
    .option('--classes <file>', 'class names, one per line (default: the model metadata)')
    .option('--per-class', 'print AP per class')
    .addOption(providersOption())
    .option('--json', 'print one JSON object')
    .addOption(quietOption());
  deprecatedAlias(command, '--max-images', evalImages, countParser('--max-images', LIMITS.images));
  addContractOptions(command);
  addStoreOptions(command, 'the accuracy')
    .action(
      action(async (model: string, flags: EvalFlags) => {
        // Bad-data warnings go to stderr even with --json or --quiet: skipped data is never silent.
        const progress = progressFor(flags);
        const { readNamesFile } = await import('../../eval/detector.js');
        const { evaluateModel } = await import('../../eval/evaluate.js');
        const { formatEvalResult } = await import('../../eval/format.js');
        const names = flags.classes ? await readNamesFile(flags.classes) : undefined;
        const { parseProviders } = await import('../../runtime/providers.js');
        const session = { providers: parseProviders(flags.providers) };
        progress.step(`evaluating ${model} on ${flags.data}`);
        const result = await evaluateModel(model, flags.data, {
          contract: await contractFlagsFrom(flags),
          images: flags.images,
          maxBad: flags.maxBad,
          strict: flags.strict,
          onWarning: (line) => progress.warn(line),
          onDataset: (line) => progress.step(`dataset: ${line}`),
          saveJson: flags.saveJson,
          conf: flags.conf,
          iou: flags.iou,
          imgsz: flags.imgsz,
          maxImages: flags.evalImages,
          names,
          reference: flags.reference,
          session,
          onProgress: (done, total) => progress.tick('images', done, total),
        });
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : formatEvalResult(result, flags.perClass ?? false));
        await recordRun(flags, async (device) => {
          const { evalRun, sha256File } = await import('../../store/capture.js');
          const { TOOL_VERSION } = await import('../../util/version.js');
          const sha = await sha256File(model).catch(() => undefined);
          return evalRun(model, sha, result, { data: flags.data, conf: flags.conf, iou: flags.iou, imgsz: flags.imgsz, maxImages: flags.evalImages, reference: flags.reference }, device, TOOL_VERSION);
        }, progress);
      }),
    );
}
