/**
 * Detection on still images: decode with sharp, detect, write an annotated copy.
 */
import { extname } from 'node:path';
import sharp from 'sharp';
import type { DecodeOptions, Detection } from '../eval/decode.js';
import { detectInImage, type Detector } from '../eval/detector.js';
import { className } from '../eval/names.js';
import { decodeRgb, type DecodedRgb } from '../image/preprocess.js';
import { writeFileAtomic } from '../util/fs.js';
import { annotationSvg } from './annotate.js';

export interface DetectedObject {
  /** [x1, y1, x2, y2] in original image pixels. */
  box: [number, number, number, number];
  score: number;
  classId: number;
  name: string;
}

export interface ImageResult {
  file: string;
  /** The annotated copy that was written. */
  output: string;
  width: number;
  height: number;
  detections: DetectedObject[];
  timingsMs: { preprocess: number; inference: number; postprocess: number };
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

export function toDetectedObjects(detections: readonly Detection[], names: readonly string[] | undefined): DetectedObject[] {
  return detections.map((d) => ({
    box: d.box.map(round2) as DetectedObject['box'],
    score: Math.round(d.score * 1e4) / 1e4,
    classId: d.classId,
    name: className(names, d.classId),
  }));
}

/** Draws the detections onto raw RGB pixels and returns raw RGB of the same size. */
export async function drawOnRaw(image: DecodedRgb, svg: string): Promise<Buffer> {
  const { data, info } = await sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || info.width !== image.width || info.height !== image.height) {
    throw new Error(`annotation changed the frame to ${info.width}x${info.height}x${info.channels}`);
  }
  return data;
}

/** Output path for an annotated image: same name, kept format when sharp writes it, else .jpg. */
export function annotatedImagePath(outputBase: string, inputPath: string): string {
  const ext = extname(inputPath).toLowerCase();
  return ['.jpg', '.jpeg', '.png', '.webp'].includes(ext) ? outputBase + ext : outputBase + '.jpg';
}

async function encodeLike(image: DecodedRgb, svg: string, outputPath: string): Promise<Buffer> {
  const pipeline = sharp(image.pixels, { raw: { width: image.width, height: image.height, channels: 3 } }).composite([
    { input: Buffer.from(svg), top: 0, left: 0 },
  ]);
  const ext = extname(outputPath).toLowerCase();
  if (ext === '.png') return pipeline.png().toBuffer();
  if (ext === '.webp') return pipeline.webp({ quality: 90 }).toBuffer();
  return pipeline.jpeg({ quality: 90 }).toBuffer();
}

/** Detects objects in one image file and writes its annotated copy to `outputPath`. */
export async function detectImageFile(detector: Detector, inputPath: string, outputPath: string, decode: DecodeOptions): Promise<ImageResult> {
  const image = await decodeRgb(inputPath);
  const result = await detectInImage(detector, image, decode);
  const svg = annotationSvg(image.width, image.height, result.detections, { names: detector.names });
  await writeFileAtomic(outputPath, await encodeLike(image, svg, outputPath));
  return {
    file: inputPath,
    output: outputPath,
    width: image.width,
    height: image.height,
    detections: toDetectedObjects(result.detections, detector.names),
    timingsMs: {
      preprocess: round2(result.timings.preprocessMs),
      inference: round2(result.timings.inferenceMs),
      postprocess: round2(result.timings.postprocessMs),
    },
  };
}
