/**
 * Weight-quantization arithmetic, written to give bit-identical results to onnxruntime's Python
 * quantization tool (quant_utils: quantize_data → compute_scale_zp → quantize_nparray) in the version
 * that produced the published YOLOv5nu model: the range and scale are computed in float64 from the
 * float32 weights (the tool reads them through `tolist()`), the scale is stored as float32, the zero
 * point is rounded from the float64 scale, and x / scale is evaluated in float32. Rounding is half to
 * even (numpy.round / Python round) and results are clipped to the type's range. Every step mirrors
 * one of those, because one-ulp scale differences flip weight codes, and dynamic activation
 * quantization amplifies that into visible output drift.
 */

import { roundHalfToEven } from '../util/rounding.js';

export { roundHalfToEven };

export type QuantType = 'uint8' | 'int8';

export const QUANT_TYPES: readonly QuantType[] = ['uint8', 'int8'];

export interface QParams {
  /** float32 value. */
  scale: number;
  zeroPoint: number;
}

/** The integer range a value is mapped onto. Symmetric ranges drop one code so that 0 sits in the middle. */
export function quantRange(type: QuantType, symmetric: boolean): { qmin: number; qmax: number } {
  if (type === 'uint8') return symmetric ? { qmin: 0, qmax: 254 } : { qmin: 0, qmax: 255 };
  return symmetric ? { qmin: -127, qmax: 127 } : { qmin: -128, qmax: 127 };
}

/** The full range of the storage type, used for clipping after rounding. */
function storageRange(type: QuantType): { qmin: number; qmax: number } {
  return type === 'uint8' ? { qmin: 0, qmax: 255 } : { qmin: -128, qmax: 127 };
}

/** Smallest normal float32 (numpy.finfo(float32).tiny): scales below it are treated as "no range". */
const FLOAT32_TINY = 1.1754943508222875e-38;

/**
 * Scale and zero point for real values in [rmin, rmax]. The range is widened to include 0 so that
 * zero (padding, ReLU output) is exactly representable; symmetric ranges become [-absmax, absmax].
 */
export function computeQParams(rmin: number, rmax: number, type: QuantType, symmetric: boolean): QParams {
  const { qmin, qmax } = quantRange(type, symmetric);
  let lo = Math.min(Math.fround(rmin), 0);
  let hi = Math.max(Math.fround(rmax), 0);
  if (symmetric) {
    const absmax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absmax;
    hi = absmax;
  }
  const scale = (hi - lo) / (qmax - qmin); // float64, like the tool's Python floats
  if (!(scale >= FLOAT32_TINY)) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = symmetric ? roundHalfToEven((qmin + qmax) / 2) : roundHalfToEven(qmin - lo / scale);
  return { scale: Math.fround(scale), zeroPoint };
}

/** Quantizes values with one scale and zero point: clip(round_half_even(fround(x / scale)) + zp). */
export function quantizeValues(values: ArrayLike<number>, params: QParams, type: QuantType): Uint8Array | Int8Array {
  const out = type === 'uint8' ? new Uint8Array(values.length) : new Int8Array(values.length);
  quantizeInto(out, values, 0, values.length, 1, params, type);
  return out;
}

/** Quantizes `count` values starting at `start` with stride `stride` into `out` at the same positions. */
function quantizeInto(
  out: Uint8Array | Int8Array,
  values: ArrayLike<number>,
  start: number,
  count: number,
  stride: number,
  params: QParams,
  type: QuantType,
): void {
  const { qmin, qmax } = storageRange(type);
  const scale = Math.fround(params.scale);
  const zp = params.zeroPoint;
  for (let k = 0, i = start; k < count; k++, i += stride) {
    const q = roundHalfToEven(Math.fround(values[i]! / scale)) + zp;
    out[i] = q < qmin ? qmin : q > qmax ? qmax : q;
  }
}

export interface QuantizedTensor {
  data: Uint8Array | Int8Array;
  /** One entry per channel along `axis`, or a single entry for per-tensor quantization. */
  scales: Float32Array;
  zeroPoints: number[];
  axis?: number;
  /** Channels (or 1 for the whole tensor) whose scale was taken from an existing grid. */
  snapped: number;
}

export interface QuantizeTensorOptions {
  type: QuantType;
  symmetric: boolean;
  /** Quantize each slice along this axis with its own scale (per-channel); omit for per-tensor. */
  axis?: number;
  /** Recover the exact step of weights that already lie on a quantization grid (see {@link snapScaleToGrid}). */
  snapToGrid?: boolean;
}

/** Min and max of the values at start, start+stride, … (count of them). */
function minMax(values: ArrayLike<number>, start: number, count: number, stride: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let k = 0, i = start; k < count; k++, i += stride) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return count === 0 ? [0, 0] : [lo, hi];
}

/**
 * Quantizes a row-major tensor per tensor or per channel (each index along `axis` gets its own
 * min/max → scale and zero point), the way onnxruntime quantizes weight initializers.
 */
export function quantizeTensor(values: ArrayLike<number>, dims: readonly number[], options: QuantizeTensorOptions): QuantizedTensor {
  const { type, symmetric, axis } = options;
  if (axis === undefined) {
    const [lo, hi] = minMax(values, 0, values.length, 1);
    let params = computeQParams(lo, hi, type, symmetric);
    const computed = params.scale;
    if (options.snapToGrid) params = snapScaleToGrid(values, [[0, values.length]], params);
    return {
      data: quantizeValues(values, params, type),
      scales: Float32Array.of(params.scale),
      zeroPoints: [params.zeroPoint],
      snapped: params.scale === computed ? 0 : 1,
    };
  }
  const rank = dims.length;
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`axis ${axis} is out of range for a rank-${rank} tensor`);
  const channels = dims[a]!;
  let inner = 1;
  for (let d = a + 1; d < rank; d++) inner *= dims[d]!;
  const outer = values.length / (channels * inner);
  const data = type === 'uint8' ? new Uint8Array(values.length) : new Int8Array(values.length);
  const scales = new Float32Array(channels);
  const zeroPoints: number[] = [];
  let snapped = 0;
  for (let c = 0; c < channels; c++) {
    // Channel c is `outer` runs of `inner` contiguous values, one run every channels*inner values.
    let lo = Infinity;
    let hi = -Infinity;
    for (let o = 0; o < outer; o++) {
      const [l, h] = minMax(values, (o * channels + c) * inner, inner, 1);
      if (inner > 0) {
        lo = Math.min(lo, l);
        hi = Math.max(hi, h);
      }
    }
    if (lo > hi) lo = hi = 0;
    let params = computeQParams(lo, hi, type, symmetric);
    if (options.snapToGrid) {
      const runs: Array<[number, number]> = [];
      for (let o = 0; o < outer; o++) runs.push([(o * channels + c) * inner, inner]);
      const computed = params.scale;
      params = snapScaleToGrid(values, runs, params);
      if (params.scale !== computed) snapped++;
    }
    scales[c] = params.scale;
    zeroPoints.push(params.zeroPoint);
    for (let o = 0; o < outer; o++) quantizeInto(data, values, (o * channels + c) * inner, inner, 1, params, type);
  }
  return { data, scales, zeroPoints, axis: a, snapped };
}

/** How many float32 neighbours on each side of the computed scale are tried as the grid's step. */
const GRID_SEARCH_ULPS = 4;

/**
 * Weights that were dequantized from integers (a model rebuilt from an INT8 one, QAT exports) lie
 * exactly on a grid w = fround((q - zp) · s). Recomputing s from their min/max can land an ulp or
 * two away from the original step, and although the integer codes stay identical, that ulp changes
 * the float rescale and — through the run-time activation quantizers downstream — visibly moves the
 * outputs. So when every value is reproduced exactly by some float32 scale within a few ulps of the
 * computed one (the computed one preferred), that scale is used and re-quantization is lossless.
 * Real float weights fail the check at their first values, leaving the scale untouched.
 */
export function snapScaleToGrid(values: ArrayLike<number>, runs: ReadonlyArray<readonly [number, number]>, params: QParams): QParams {
  const scale = Math.fround(params.scale);
  if (scale === 0 || !Number.isFinite(scale)) return params;
  const zp = params.zeroPoint;
  // Integer offsets k = round(w / scale) for the computed scale; a grid step must reproduce w = fround(k * step).
  const reproduces = (step: number): boolean => {
    for (const [start, count] of runs) {
      for (let i = start; i < start + count; i++) {
        const w = values[i]!;
        const k = roundHalfToEven(Math.fround(w / scale));
        if (Math.fround(k * step) !== w) return false;
      }
    }
    return true;
  };
  if (reproduces(scale)) return params;
  for (let ulps = 1; ulps <= GRID_SEARCH_ULPS; ulps++) {
    for (const step of [neighbourFloat32(scale, -ulps), neighbourFloat32(scale, ulps)]) {
      if (step > 0 && reproduces(step)) return { scale: step, zeroPoint: zp };
    }
  }
  return params;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The positive float32 `ulps` representable steps away from `value` (negative ulps = smaller). */
function neighbourFloat32(value: number, ulps: number): number {
  f32[0] = value;
  u32[0] = u32[0]! + ulps;
  return f32[0]!;
}
