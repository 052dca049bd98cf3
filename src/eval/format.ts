import { describeDataQuality } from '../util/data-quality.js';
import { DISPLAY_THRESHOLDS } from './decode.js';
import type { EvalResult } from './evaluate.js';

const pct = (x: number): string => (100 * x).toFixed(2);

/** The `edgeopt eval` report: metrics, data quality, fidelity vs a reference, and AP per class when asked. */
export function formatEvalResult(r: EvalResult, showPerClass: boolean): string {
  const lines = [
    `model       ${r.model} (${r.decoder} decoder, ${r.imgsz[0]}x${r.imgsz[1]})`,
    `contract    ${r.contract.summary}`,
    ...r.contract.assumptions.map((a) => `assumed     ${a}`),
    `dataset     ${r.dataset}: ${r.images} images (${r.backgroundImages} background), ${r.instances} instances`,
    `data        ${describeDataQuality(r.dataQuality)}`,
    `settings    conf ${r.conf}, ${r.nmsAfterDecoding === false ? 'NMS inside the model' : `NMS IoU ${r.iou}`}, max ${r.maxDetections} detections, multi-label`,
    `mAP50-95    ${pct(r.map50_95)}`,
    `mAP50       ${pct(r.map50)}`,
    `precision   ${pct(r.precision)}   recall ${pct(r.recall)}   (at best F1, conf ${r.confidenceAtBestF1.toFixed(3)})`,
    `speed       ${r.speedMs.preprocess.toFixed(1)} ms preprocess, ${r.speedMs.inference.toFixed(1)} ms inference, ${r.speedMs.postprocess.toFixed(1)} ms postprocess per image`,
  ];
  const f = r.fidelity;
  if (f) {
    const sqnr = f.sqnrDb === null ? 'identical' : `SQNR ${f.sqnrDb.toFixed(1)} dB`;
    lines.push(`vs reference ${f.reference}: cosine ${f.cosine.toFixed(6)}, ${sqnr}, max abs diff ${f.maxAbsDiff.toPrecision(4)}, mean abs diff ${f.meanAbsDiff.toPrecision(4)}${f.outputs.length > 1 ? ' (worst output)' : ''}`);
    if (f.detectionF1 !== undefined) {
      lines.push(
        `             detection F1 ${pct(f.detectionF1)}%, agreement ${pct(f.detectionAgreement!)}% (${f.matchedDetections}/${f.referenceDetections} reference detections at conf ${DISPLAY_THRESHOLDS.confThreshold}; model made ${f.modelDetections})`,
      );
    }
    for (const o of f.outputs.filter((o) => o.note)) lines.push(`             ${o.name}: ${o.note}`);
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
