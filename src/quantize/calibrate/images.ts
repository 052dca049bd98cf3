import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { preprocessFor } from '../../image/families.js';
import { IMAGE_EXTENSIONS } from '../../image/preprocess.js';
import { EdgeoptError } from '../../util/errors.js';
import type { CalibrationSample } from './collect.js';


/**
 * How an image becomes the model's input tensor. Structurally the `Preprocessing` of src/image/families.ts,
 * so the caller passes the model family's declared preprocessing; the default is the YOLO letterbox.
 */
export interface CalibrationPreprocessing {
  description?: string;
  load(input: string, size: { width: number; height: number }): Promise<{ data: Float32Array }>;
}

/** The YOLO families' declared preprocessing (one letterbox for detection, evaluation and calibration). */
export const YOLO_CALIBRATION_PREPROCESSING: CalibrationPreprocessing = preprocessFor('ultralytics');

/** Image files of a folder (also `images/` inside it, the YOLO dataset layout), sorted by name for reproducibility. */
export function listCalibrationImages(dir: string, limit?: number): string[] {
  let stat;
  try {
    stat = statSync(dir);
  } catch {
    throw new EdgeoptError(`calibration folder not found: ${dir}`);
  }
  if (!stat.isDirectory()) throw new EdgeoptError(`calibration path is not a folder: ${dir}`);
  const pick = (folder: string) =>
    readdirSync(folder)
      .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()))
      .sort()
      .map((f) => join(folder, f));
  let files = pick(dir);
  if (files.length === 0) {
    try {
      if (statSync(join(dir, 'images')).isDirectory()) files = pick(join(dir, 'images'));
    } catch {
      // no images/ subfolder: fall through to the error below
    }
  }
  if (files.length === 0) throw new EdgeoptError(`no images (.jpg/.png/…) in calibration folder ${dir}`);
  return limit !== undefined ? files.slice(0, limit) : files;
}

/**
 * Streams preprocessed images. The next image is decoded while the caller works on the current one
 * (sharp decodes on libuv threads), and at most two tensors exist at any time.
 */
export async function* imageCalibrationSamples(
  files: readonly string[],
  size: { width: number; height: number },
  preprocessing: CalibrationPreprocessing = YOLO_CALIBRATION_PREPROCESSING,
): AsyncGenerator<CalibrationSample> {
  const load = (file: string) => preprocessing.load(file, size).then((t) => t.data);
  let next = files.length > 0 ? load(files[0]!) : undefined;
  for (let i = 0; i < files.length; i++) {
    const current = await next!;
    next = i + 1 < files.length ? load(files[i + 1]!) : undefined;
    // A rejected prefetch must not go unhandled if the consumer stops early.
    next?.catch(() => undefined);
    yield current;
  }
}
