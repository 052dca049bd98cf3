/**
 * How an image becomes a model's input tensor, as data: size, resize mode, pad value, colour order, scale,
 * mean/std and layout. Pure (no node imports): the browser page packs its frames with the same code, and the
 * `--preprocess` flag is parsed here so that every command and the library accept the same text.
 */
import { EdgeoptError } from '../util/errors.js';
import { RESIZE_MODES, type LetterboxGeometry, type ResizeMode } from './letterbox.js';

export type ColorOrder = 'rgb' | 'bgr';
export type TensorLayout = 'nchw' | 'nhwc';
/** Per-channel values, always in R, G, B order whatever order the model takes its channels in. */
export type Rgb = [number, number, number];

export interface ImagePreprocessing {
  width: number;
  height: number;
  resize: ResizeMode;
  /** Grey level (0–255) of the padding, before scale and mean/std are applied. */
  pad: number;
  color: ColorOrder;
  /** Pixel values 0–255 are multiplied by this first (1/255 for 0–1 inputs, 1 for 0–255). */
  scale: number;
  /** Then (value − mean) / std per channel, in the scaled units. */
  mean: Rgb;
  std: Rgb;
  layout: TensorLayout;
}

/** The fields `--preprocess` can set; `size` sets width and height. */
export type PreprocessOverrides = Partial<ImagePreprocessing>;

/** The YOLO predictors' preprocessing (YOLOv5, Ultralytics): centred letterbox with grey 114, RGB, /255, NCHW. */
export const YOLO_PREPROCESSING: Omit<ImagePreprocessing, 'width' | 'height'> = {
  resize: 'letterbox',
  pad: 114,
  color: 'rgb',
  scale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  layout: 'nchw',
};

/** ImageNet statistics in 0–1 units (PaddleDetection, torchvision, DETR). */
export const IMAGENET_MEAN: Rgb = [0.485, 0.456, 0.406];
export const IMAGENET_STD: Rgb = [0.229, 0.224, 0.225];

/** The `--preprocess` keys, in the order they are documented and printed. */
export const PREPROCESS_KEYS = ['size', 'resize', 'pad', 'color', 'scale', 'mean', 'std', 'layout'] as const;
export type PreprocessKey = (typeof PREPROCESS_KEYS)[number];

const bad = (key: string, value: string, expected: string) =>
  new EdgeoptError(`--preprocess ${key}=${value}: expected ${expected}`);

/** "1/255", "0.0039", "1" → a finite number. */
export function parseNumberText(text: string): number {
  const fraction = /^\s*([-+]?[\d.]+(?:e[-+]?\d+)?)\s*\/\s*([\d.]+(?:e[-+]?\d+)?)\s*$/i.exec(text);
  const n = fraction ? Number(fraction[1]) / Number(fraction[2]) : text.trim() === '' ? NaN : Number(text);
  return n;
}

function parseRgb(key: string, value: string, positive: boolean): Rgb {
  const parts = value.split(':').map(parseNumberText);
  const ok = (parts.length === 1 || parts.length === 3) && parts.every((x) => Number.isFinite(x) && (!positive || x > 0));
  if (!ok) throw bad(key, value, `one number or three as r:g:b${positive ? ', all above 0' : ''}`);
  return parts.length === 1 ? [parts[0]!, parts[0]!, parts[0]!] : (parts as Rgb);
}

function parseSize(value: string): { width: number; height: number } {
  const m = /^(\d+)(?:x(\d+))?$/i.exec(value.trim());
  const width = Number(m?.[1]);
  const height = Number(m?.[2] ?? m?.[1]);
  if (!m || !(width >= 8 && width <= 8192 && height >= 8 && height <= 8192)) throw bad('size', value, '<n> or <width>x<height>, 8 to 8192');
  return { width, height };
}

/**
 * Parses `color=bgr,scale=1/255,mean=0.485:0.456:0.406,std=…,resize=stretch,pad=0,layout=nhwc,size=320`
 * (any subset, any order) into the fields it sets. Unknown keys and bad values are one-line errors.
 */
export function parsePreprocessFlag(text: string): PreprocessOverrides {
  const out: PreprocessOverrides = {};
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : item.slice(eq + 1).trim();
    if (!(PREPROCESS_KEYS as readonly string[]).includes(key)) {
      throw new EdgeoptError(`--preprocess: unknown key '${key}' (known: ${PREPROCESS_KEYS.join(', ')})`);
    }
    if (eq < 0 || value === '') throw new EdgeoptError(`--preprocess ${key}: missing value (write ${key}=<value>)`);
    switch (key as PreprocessKey) {
      case 'size':
        Object.assign(out, parseSize(value));
        break;
      case 'resize':
        if (!(RESIZE_MODES as readonly string[]).includes(value)) throw bad(key, value, RESIZE_MODES.join(' | '));
        out.resize = value as ResizeMode;
        break;
      case 'pad': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 255) throw bad(key, value, 'an integer grey level 0-255');
        out.pad = n;
        break;
      }
      case 'color':
        if (value !== 'rgb' && value !== 'bgr') throw bad(key, value, 'rgb | bgr');
        out.color = value;
        break;
      case 'scale': {
        const n = parseNumberText(value);
        if (!(Number.isFinite(n) && n > 0 && n <= 1000)) throw bad(key, value, 'a positive number such as 1/255 or 1');
        out.scale = n;
        break;
      }
      case 'mean':
        out.mean = parseRgb(key, value, false);
        break;
      case 'std':
        out.std = parseRgb(key, value, true);
        break;
      case 'layout':
        if (value !== 'nchw' && value !== 'nhwc') throw bad(key, value, 'nchw | nhwc');
        out.layout = value;
        break;
    }
  }
  return out;
}

/** "1/255" for the usual reciprocal, else the number. */
export function formatScale(scale: number): string {
  const inverse = 1 / scale;
  return Math.abs(inverse - Math.round(inverse)) < 1e-9 && inverse > 1 ? `1/${Math.round(inverse)}` : String(+scale.toPrecision(6));
}

const formatRgb = (v: Rgb) => (v[0] === v[1] && v[1] === v[2] ? String(+v[0].toPrecision(6)) : v.map((x) => +x.toPrecision(6)).join(':'));

/** The text of one field as `--preprocess` takes it back. */
export function formatPreprocessField(p: ImagePreprocessing, key: PreprocessKey): string {
  switch (key) {
    case 'size':
      return `${p.width}x${p.height}`;
    case 'scale':
      return formatScale(p.scale);
    case 'mean':
      return formatRgb(p.mean);
    case 'std':
      return formatRgb(p.std);
    default:
      return String(p[key]);
  }
}

/** The whole preprocessing as one `--preprocess` value (for reports and provenance: paste it back to reproduce). */
export function formatPreprocessing(p: ImagePreprocessing): string {
  return PREPROCESS_KEYS.map((k) => `${k}=${formatPreprocessField(p, k)}`).join(',');
}

/** Input tensor dims for one image. */
export function inputDims(p: Pick<ImagePreprocessing, 'width' | 'height' | 'layout'>): [number, number, number, number] {
  return p.layout === 'nchw' ? [1, 3, p.height, p.width] : [1, p.height, p.width, 3];
}

/** The tensor value a 0–255 level takes in channel `c` (0 = R, 1 = G, 2 = B). */
export function channelValue(p: ImagePreprocessing, level: number, c: number): number {
  return (level * p.scale - p.mean[c]!) / p.std[c]!;
}

/** Resized pixels of the image region (not the padding), interleaved with `channels` values per pixel in R, G, B(, A) order. */
export interface PixelRegion {
  pixels: ArrayLike<number>;
  width: number;
  height: number;
  channels: 3 | 4;
}

/**
 * Packs the resized image into the full input tensor: padding everywhere else, channels in the model's colour
 * order, scale and mean/std applied, NCHW or NHWC. The region must be geometry.newWidth × newHeight.
 */
export function packTensor(region: PixelRegion, geometry: LetterboxGeometry, p: ImagePreprocessing): Float32Array {
  const { width, height } = p;
  if (region.width !== geometry.newWidth || region.height !== geometry.newHeight) {
    throw new RangeError(`pixel region ${region.width}x${region.height} does not match the resize ${geometry.newWidth}x${geometry.newHeight}`);
  }
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  // Output channel k reads source channel order[k]: BGR models get B first.
  const order = p.color === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const mul = order.map((c) => p.scale / p.std[c]!);
  const add = order.map((c) => -p.mean[c]! / p.std[c]!);
  const padValues = order.map((c) => channelValue(p, p.pad, c));
  const chw = p.layout === 'nchw';
  // Index of (pixel i, channel k) in the output.
  const at = chw ? (i: number, k: number) => k * plane + i : (i: number, k: number) => i * 3 + k;
  for (let k = 0; k < 3; k++) {
    const v = padValues[k]!;
    if (v === 0) continue;
    if (chw) data.fill(v, k * plane, (k + 1) * plane);
    else for (let i = 0; i < plane; i++) data[i * 3 + k] = v;
  }
  const { pixels, channels } = region;
  const { newWidth, newHeight, padLeft, padTop } = geometry;
  for (let y = 0; y < newHeight; y++) {
    const rowOut = (y + padTop) * width + padLeft;
    const rowIn = y * newWidth * channels;
    for (let x = 0; x < newWidth; x++) {
      const src = rowIn + x * channels;
      const o = rowOut + x;
      for (let k = 0; k < 3; k++) data[at(o, k)] = pixels[src + order[k]!]! * mul[k]! + add[k]!;
    }
  }
  return data;
}

/** A uniform input of the pad colour (for benchmarking before any image exists). */
export function padTensor(p: ImagePreprocessing): Float32Array {
  const empty: LetterboxGeometry = { ratioX: 1, ratioY: 1, newWidth: 0, newHeight: 0, padLeft: 0, padTop: 0, padRight: p.width, padBottom: p.height };
  return packTensor({ pixels: [], width: 0, height: 0, channels: 3 }, empty, p);
}
