import type { Command } from 'commander';
import { readNamesFile } from '../../eval/detector.js';
import { evaluateModel, type EvalResult } from '../../eval/evaluate.js';
import { describeDataQuality, parseMaxBad } from '../../util/data-quality.js';
import { stderrProgress } from '../../util/progress.js';
import { action, parseNumberOption } from '../action.js';
import { addStoreOptions, recordRun, type StoreFlags } from '../store.js';

interface EvalFlags extends StoreFlags {
  data: string;
  images?: string;
  maxBad?: number;
  strict?: boolean;
  saveJson?: string;
  reference?: string;
  conf: number;
  iou?: number;
  imgsz?: number;
  maxImages?: number;
  classes?: string;
  perClass?: boolean;
  json?: boolean;
}

const pct = (x: number): string => (100 * x).toFixed(2);

function formatResult(r: EvalResult, showPerClass: boolean): string {
  const lines = [
    `model       ${r.model} (${r.layout} layout, ${r.imgsz[0]}x${r.imgsz[1]})`,
    `dataset     ${r.dataset}: ${r.images} images (${r.backgroundImages} background), ${r.instances} instances`,
    `data        ${describeDataQuality(r.dataQuality)}`,
    `settings    conf ${r.conf}, NMS IoU ${r.iou}, max ${r.maxDetections} detections, multi-label`,
    `mAP50-95    ${pct(r.map50_95)}`,
    `mAP50       ${pct(r.map50)}`,
    `precision   ${pct(r.precision)}   recall ${pct(r.recall)}   (at best F1, conf ${r.confidenceAtBestF1.toFixed(3)})`,
    `speed       ${r.speedMs.preprocess.toFixed(1)} ms preprocess, ${r.speedMs.inference.toFixed(1)} ms inference, ${r.speedMs.postprocess.toFixed(1)} ms postprocess per image`,
  ];
  const f = r.fidelity;
  if (f) {
    lines.push(
      `vs reference ${f.reference}: cosine ${f.cosine.toFixed(6)}, max abs diff ${f.maxAbsDiff.toPrecision(4)}, mean abs diff ${f.meanAbsDiff.toPrecision(4)}`,
      `             detection agreement ${pct(f.detectionAgreement)}% (${f.matchedDetections}/${f.referenceDetections} reference detections at conf 0.25; model made ${f.modelDetections})`,
    );
  }
  const saved = r.savedJson;
  if (saved) {
    lines.push(`saved       ${saved.predictions} (${saved.detections} detections) and ${saved.groundTruth} (${saved.annotations} annotations): pycocotools on these two gives the mAP above`);
    if (saved.unwritableDetections > 0) lines.push(`            ${saved.unwritableDetections} detections of model classes without a category in the annotations were not written`);
  }
  if (showPerClass) {
    const width = Math.max(5, ...r.perClass.map((c) => c.name.length));
    lines.push('', `${'class'.padEnd(width)}  instances  AP50   AP50-95`);
    for (const c of r.perClass) {
      lines.push(`${c.name.padEnd(width)}  ${String(c.instances).padStart(9)}  ${pct(c.ap50).padStart(5)}  ${pct(c.ap50_95).padStart(6)}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function registerEval(program: Command): void {
  const command = program
    .command('eval')
    .description('measure COCO-style mAP of a YOLO ONNX model on a dataset: YOLO folder, Ultralytics data.yaml, COCO JSON or Pascal VOC')
    .argument('<model>', 'ONNX model (YOLOv5 [1,N,5+nc] or Ultralytics [1,4+nc,N] output)')
    .requiredOption('--data <path>', 'a YOLO folder (images/ + labels/), a VOC folder (Annotations/ + JPEGImages/), a data.yaml (its val split) or a COCO annotations .json')
    .option('--images <dir>', 'where the images of a COCO .json (or VOC folder) are, when not where their file names say')
    .option('--max-bad <percent>', 'fail when more than this share of the images or labels is bad (skipped with a warning each)', parseMaxBad, 0.05)
    .option('--strict', 'fail at the first bad image or label instead of skipping it')
    .option('--save-json <file>', 'write the predictions in the COCO results format, and the ground truth as scored beside them (<file>-ground-truth.json), for pycocotools')
    .option('--reference <onnx>', 'FP32 model to compare raw outputs and detections with')
    .option('--conf <x>', 'confidence threshold', parseNumberOption('--conf', 0, 1), 0.001)
    .option('--iou <x>', 'NMS IoU threshold (default: 0.6 for YOLOv5 outputs, 0.7 for Ultralytics, as their validators)', parseNumberOption('--iou', 0, 1))
    .option('--imgsz <n>', 'input size for models with a dynamic input shape', parseNumberOption('--imgsz', 32, 4096, true))
    .option('--max-images <n>', 'evaluate only the first N images', parseNumberOption('--max-images', 1, 1e9, true))
    .option('--classes <file>', 'class names, one per line (default: the model metadata)')
    .option('--per-class', 'print AP per class')
    .option('--json', 'print one JSON object');
  addStoreOptions(command, 'the accuracy')
    .action(
      action(async (model: string, flags: EvalFlags) => {
        const progress = stderrProgress({ quiet: flags.json });
        // Bad-data warnings go to stderr even with --json: skipped data is never silent.
        const warnings = stderrProgress();
        const names = flags.classes ? await readNamesFile(flags.classes) : undefined;
        progress.step(`evaluating ${model} on ${flags.data}`);
        const result = await evaluateModel(model, flags.data, {
          images: flags.images,
          maxBad: flags.maxBad,
          strict: flags.strict,
          onWarning: (line) => warnings.warn(line),
          onDataset: (line) => progress.step(`dataset: ${line}`),
          saveJson: flags.saveJson,
          conf: flags.conf,
          iou: flags.iou,
          imgsz: flags.imgsz,
          maxImages: flags.maxImages,
          names,
          reference: flags.reference,
          onProgress: (done, total) => progress.tick('images', done, total),
        });
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : formatResult(result, flags.perClass ?? false));
        await recordRun(flags, async (device) => {
          const { evalRun, sha256File } = await import('../../store/capture.js');
          const { TOOL_VERSION } = await import('../../pipeline/run.js');
          const sha = await sha256File(model).catch(() => undefined);
          return evalRun(model, sha, result, { data: flags.data, conf: flags.conf, iou: flags.iou, imgsz: flags.imgsz, maxImages: flags.maxImages, reference: flags.reference }, device, TOOL_VERSION);
        }, progress);
      }),
    );
}
