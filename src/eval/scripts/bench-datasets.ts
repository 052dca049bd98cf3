/**
 * `npm run bench` (part 3): the dataset-format accuracy targets, on all 128 images each (too slow for
 * `npm test`, which keeps one full run: coco_val128 as COCO JSON). yolov5nu FP32 on
 *  - coco_val128 as YOLO labels and as COCO JSON: the same mAP (the JSON was converted from the labels),
 *  - coco128 as its original COCO JSON, with crowd boxes: pycocotools' 41.64 mAP50-95 within 0.5,
 *  - coco128 as YOLO labels, for contrast (no crowd regions: every crowd box is an object to find),
 * and each run's saved COCO-results file re-scored through edgeopt's COCO path.
 * Usage: node dist/eval/scripts/bench-datasets.js
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedAsset } from '../../util/assets.js';
import { scoreCocoResults } from '../coco-results.js';
import { evaluateModel } from '../evaluate.js';

const TOLERANCE = 0.5;

interface Case {
  label: string;
  data: string;
  images?: string;
  /** pycocotools mAP50-95 / mAP50 (%), from reference/accuracy/README.md. */
  reference?: [number, number];
}

const model = sharedAsset('models', 'yolov5nu_fp32.onnx');
const val = sharedAsset('coco_val128');
const coco128 = sharedAsset('coco128');
const valJson = sharedAsset('reference', 'accuracy', 'val128_gt_coco.json');
if (!model || !val || !coco128 || !valJson) {
  console.log('bench-datasets: shared assets not found (set EDGEOPT_ASSETS); skipped');
  process.exit(0);
}
const cases: Case[] = [
  { label: 'coco_val128, YOLO labels', data: val, reference: [38.28, 53.91] },
  { label: 'coco_val128, COCO JSON', data: valJson, images: join(val, 'images'), reference: [38.28, 53.91] },
  { label: 'coco128, original COCO JSON (crowd)', data: join(coco128, 'annotations', 'instances_train2017_coco128.json'), reference: [41.64, 56.95] },
  { label: 'coco128, YOLO labels', data: coco128 },
];

const dir = await mkdtemp(join(tmpdir(), 'edgeopt-bench-datasets-'));
const pct = (x: number) => (x * 100).toFixed(2);
let ok = true;
const measured: number[] = [];
try {
  console.log(`yolov5nu FP32 (${model}), all images, validator settings (conf 0.001, NMS IoU 0.7)`);
  console.log(`  ${'data'.padEnd(38)} ${'mAP50-95'.padStart(9)} ${'mAP50'.padStart(7)} ${'pycocotools'.padStart(13)} ${'re-scored'.padStart(10)}  verdict`);
  for (const [i, c] of cases.entries()) {
    const saveJson = join(dir, `case${i}.json`);
    const r = await evaluateModel(model, c.data, { images: c.images, saveJson, onProgress: (done, total) => process.stderr.write(`\r  ${c.label} ${done}/${total}`) });
    process.stderr.write('\n');
    const rescored = await scoreCocoResults(r.savedJson!.groundTruth, saveJson);
    const same = Math.abs(rescored.map50_95 - r.map50_95) < 1e-4;
    const within = c.reference ? Math.abs(r.map50_95 * 100 - c.reference[0]) <= TOLERANCE : true;
    ok &&= same && within;
    measured.push(r.map50_95);
    const ref = c.reference ? `${c.reference[0].toFixed(2)} / ${c.reference[1].toFixed(2)}` : '–';
    console.log(`  ${c.label.padEnd(38)} ${pct(r.map50_95).padStart(9)} ${pct(r.map50).padStart(7)} ${ref.padStart(13)} ${pct(rescored.map50_95).padStart(10)}  ${within && same ? 'ok' : 'MISSED'}${c.reference ? ` (Δ ${(r.map50_95 * 100 - c.reference[0]).toFixed(2)} pts)` : ''}`);
  }
  const formatsAgree = Math.abs(measured[0]! - measured[1]!) < 1e-4;
  ok &&= formatsAgree;
  console.log(`  coco_val128 YOLO vs COCO JSON: ${formatsAgree ? 'same' : 'DIFFERENT'} mAP50-95 (Δ ${((measured[1]! - measured[0]!) * 100).toFixed(4)} pts)`);
  console.log(`  coco128 crowd regions vs plain YOLO labels: Δ ${((measured[2]! - measured[3]!) * 100).toFixed(2)} pts`);
  console.log(ok ? 'dataset targets: met' : 'dataset targets: NOT met');
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
