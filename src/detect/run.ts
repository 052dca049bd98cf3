/**
 * `edgeopt detect` as a library call: one model over an image, a video or a folder of them. Each file succeeds
 * or fails on its own; the report lists both, and detections.json is written once at the end.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { DISPLAY_THRESHOLDS, type DecodeOptions } from '../eval/decode.js';
import type { ContractFlags } from '../eval/contract/types.js';
import { contractSummary } from '../eval/contract/format.js';
import { openDetector } from '../eval/detector.js';
import type { SessionConfig } from '../runtime/runtime.js';
import { IMAGE_EXTENSIONS } from '../image/preprocess.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { annotatedImagePath, detectImageFile, type ImageResult } from './image.js';
import { VIDEO_EXTENSIONS, detectVideoFile, type VideoResult } from './video.js';

export interface DetectOptions {
  outDir: string;
  /** `--preprocess`, `--decoder`, `--aux-input` as parsed flags (the rest from the model's contract). */
  contract?: ContractFlags;
  conf?: number;
  iou?: number;
  maxDetections?: number;
  names?: string[];
  imgsz?: number;
  maxFrames?: number;
  ffmpegPath?: string;
  /** How the runtime opens the model (providers tried in order, explicit fallback). */
  session?: SessionConfig;
  /** Called after each file, success or failure (for progress lines). */
  onFile?: (event: { file: string; image?: ImageResult; video?: VideoResult; error?: string }) => void;
  onFrame?: (file: string, done: number, total: number | undefined) => void;
}

export interface DetectReport {
  schemaVersion: 1;
  model: string;
  input: string;
  conf: number;
  iou: number;
  imgsz: [number, number];
  /** The contract the detections were made under, as flags. */
  contract: string;
  images: ImageResult[];
  videos: VideoResult[];
  failures: Array<{ file: string; error: string }>;
  /** Where the report itself was written. */
  detectionsJson: string;
}

export const DETECT_CONF = DISPLAY_THRESHOLDS.confThreshold;
export const DETECT_IOU = DISPLAY_THRESHOLDS.iouThreshold;

function isVideo(path: string): boolean {
  return VIDEO_EXTENSIONS.has(extname(path).toLowerCase());
}

/** The files to process: the input itself, or the images and videos below a folder (sorted). */
async function inputFiles(input: string, outDir: string): Promise<{ files: string[]; root: string | undefined }> {
  let info;
  try {
    info = await stat(input);
  } catch {
    throw new EdgeoptError(`input not found: ${input}`);
  }
  if (!info.isDirectory()) return { files: [input], root: undefined };
  const entries = await readdir(input, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && !e.name.startsWith('.'))
    .filter((e) => IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()) || VIDEO_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => join(e.parentPath, e.name))
    // An output folder inside the input folder holds earlier annotated copies: never detect on those.
    .filter((f) => !resolve(f).startsWith(resolve(outDir) + sep))
    .sort();
  if (files.length === 0) throw new EdgeoptError(`no images or videos found in ${input}`);
  return { files, root: input };
}

export async function runDetect(modelPath: string, input: string, options: DetectOptions): Promise<DetectReport> {
  const { files, root } = await inputFiles(input, options.outDir);
  const detector = await openDetector(modelPath, { contract: options.contract, names: options.names, imgsz: options.imgsz, session: options.session });
  const decode: DecodeOptions = {
    confThreshold: options.conf ?? DETECT_CONF,
    iouThreshold: options.iou ?? DETECT_IOU,
    maxDetections: options.maxDetections ?? 300,
  };
  const report: DetectReport = {
    schemaVersion: 1,
    model: modelPath,
    input,
    conf: decode.confThreshold,
    iou: decode.iouThreshold,
    imgsz: [detector.width, detector.height],
    contract: contractSummary(detector.resolved),
    images: [],
    videos: [],
    failures: [],
    detectionsJson: join(options.outDir, 'detections.json'),
  };
  try {
    for (const file of files) {
      // Keep the folder structure below the input folder so equal names in subfolders do not collide.
      const rel = root ? relative(root, file) : basename(file);
      const base = join(options.outDir, rel.slice(0, rel.length - extname(rel).length));
      try {
        if (isVideo(file)) {
          const video = await detectVideoFile(detector, file, `${base}.mp4`, {
            decode,
            maxFrames: options.maxFrames,
            ffmpegPath: options.ffmpegPath,
            onFrame: (done, total) => options.onFrame?.(file, done, total),
          });
          report.videos.push(video);
          options.onFile?.({ file, video });
        } else {
          const image = await detectImageFile(detector, file, annotatedImagePath(base, file), decode);
          report.images.push(image);
          options.onFile?.({ file, image });
        }
      } catch (err) {
        // One unreadable file must not stop the others; anything that is not the file's fault still aborts.
        if (!(err instanceof EdgeoptError)) throw err;
        const error = describeError(err);
        report.failures.push({ file, error });
        options.onFile?.({ file, error });
      }
    }
  } finally {
    await detector.release();
  }
  await writeFileAtomic(report.detectionsJson, JSON.stringify(report, null, 1) + '\n');
  return report;
}
