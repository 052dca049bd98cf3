import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeDetections, type Detection } from '../../src/eval/decode.js';
import { boxIou } from '../../src/eval/nms.js';
import { unletterboxBox } from '../../src/image/letterbox.js';
import { loadImageTensor } from '../../src/image/preprocess.js';
import { REPO_ROOT } from '../helpers/assets.js';
import { float32Tensor, runFirstInput } from '../helpers/run-model.js';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0;

/** Flags that work for headless Debian chromium in a container (no sandbox, no GPU, no network chatter). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The modules the page imports from /lib/ exist only after a build; build once if they are missing. */
export function ensureBrowserModulesBuilt(): void {
  const needed = ['eval/decode.js', 'eval/nms.js', 'eval/names.js', 'image/letterbox.js', 'bench/stats.js', 'util/float16.js', 'runtime/ort-web.js', 'runtime/tensors.js'];
  const missing = () => needed.filter((m) => !existsSync(join(REPO_ROOT, 'dist', m)));
  if (missing().length === 0) return;
  // tsc still emits when unrelated files have type errors, so only the emitted files matter here.
  spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'ignore' });
  if (missing().length > 0) throw new Error(`npm run build did not produce dist/${missing().join(', dist/')}`);
}

/** A detection with the class name, in source-image pixels. */
export interface NamedDetection extends Detection {
  className?: string;
}

/** What edgeopt finds on an image on the Node side: the same letterbox geometry, decode and NMS the page uses. */
export async function nodeDetections(modelPath: string, imagePath: string): Promise<Detection[]> {
  const tensor = await loadImageTensor(imagePath, { width: 640, height: 640 });
  const output = await runFirstInput(modelPath, float32Tensor(tensor.data, tensor.dims), { intraOpThreads: 1 });
  const detections = decodeDetections(output.data as Float32Array, output.dims, { confThreshold: 0.25, iouThreshold: 0.45 });
  return detections.map((d) => ({ ...d, box: unletterboxBox(d.box, tensor.geometry, tensor.srcWidth, tensor.srcHeight) }));
}

/**
 * Pairs every confident expected detection with the best-overlapping page detection of the same class.
 * Returns the pairs, so the test can say exactly which one drifted.
 */
export function matchDetections(expected: readonly Detection[], actual: readonly Detection[], minScore: number) {
  return expected
    .filter((e) => e.score >= minScore)
    .map((e) => {
      let best: Detection | undefined;
      let bestIou = 0;
      for (const a of actual) {
        if (a.classId !== e.classId) continue;
        const overlap = boxIou(e.box, a.box);
        if (overlap > bestIou) {
          bestIou = overlap;
          best = a;
        }
      }
      return { expected: e, actual: best, iou: bestIou };
    });
}
