import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { preprocessFor } from '../../image/families.js';
import { IMAGE_EXTENSIONS, ImageDecodeError, unreadableImage } from '../../image/preprocess.js';
import { DataQuality } from '../../util/data-quality.js';
import { EdgeoptError } from '../../util/errors.js';
import type { CalibrationPreprocessing, FeedBuilder, FeedRecord } from './feeds.js';

export type { CalibrationPreprocessing } from './feeds.js';

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
 * Streams feed records built from image files. The next record is built while the caller works on the current
 * one (sharp decodes on libuv threads), and at most two exist at any time. An image that cannot be decoded is
 * skipped and counted in `quality` (which fails the run past its share of bad images, or at once when strict);
 * `limit` counts the images used, so a bad one is replaced by the next file.
 */
export async function* imageCalibrationSamples(
  files: readonly string[],
  feeds: FeedBuilder,
  options: { limit?: number; quality?: DataQuality } = {},
): AsyncGenerator<FeedRecord> {
  const quality = options.quality ?? new DataQuality({ what: 'calibration images' });
  const limit = options.limit ?? Infinity;
  // Settled promises: a failed prefetch is a bad image, never an unhandled rejection.
  const build = (file: string) => feeds.build(file).then((record) => ({ record }), (error: unknown) => ({ error }));
  let used = 0;
  let next = files.length > 0 ? build(files[0]!) : undefined;
  for (let i = 0; i < files.length && used < limit; i++) {
    const current = await next!;
    next = i + 1 < files.length ? build(files[i + 1]!) : undefined;
    if ('error' in current) {
      if (!(current.error instanceof ImageDecodeError)) throw current.error;
      const why = await unreadableImage(files[i]!, current.error);
      quality.badImage(files[i]!, why.reason, why.detail);
      continue;
    }
    quality.goodImage();
    used++;
    yield current.record;
  }
  quality.enforce();
  if (used === 0) throw new EdgeoptError('no calibration image could be read; see the warnings above');
}
