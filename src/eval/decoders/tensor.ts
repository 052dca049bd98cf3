/**
 * Shape arithmetic and tensor views shared by the decoders: which strides a box count implies, 2-D views over
 * outputs whatever their layout (rows or columns, channels first or last, batch dim or not), and activations.
 */
import type { OutputData, OutputSignature, OutputTensor } from './types.js';


/** The strides detectors use, finest first. */
export const KNOWN_STRIDES = [8, 16, 32, 64, 128] as const;

export interface GridLevel {
  stride: number;
  cols: number;
  rows: number;
  cells: number;
}

export function gridLevels(width: number, height: number, strides: readonly number[]): GridLevel[] {
  return strides.map((stride) => {
    const cols = Math.ceil(width / stride);
    const rows = Math.ceil(height / stride);
    return { stride, cols, rows, cells: cols * rows };
  });
}

/**
 * Every run of two or more consecutive known strides (or exactly `levels`) whose grids have `total` cells in all
 * (× `perCell` boxes per cell), shortest first. Several matches mean the count alone does not tell the strides.
 */
export function stridesForCount(total: number, width: number, height: number, perCell = 1, levels?: number): number[][] {
  const found: number[][] = [];
  for (let start = 0; start < KNOWN_STRIDES.length; start++) {
    // Detection heads have two levels or more; one level's cell count alone is not evidence of a head.
    for (let end = start + (levels === 1 ? 1 : 2); end <= KNOWN_STRIDES.length; end++) {
      const strides = KNOWN_STRIDES.slice(start, end);
      if (levels !== undefined && strides.length !== levels) continue;
      const cells = gridLevels(width, height, strides).reduce((s, l) => s + l.cells, 0);
      if (cells * perCell === total) found.push([...strides]);
    }
  }
  return found;
}

/** The stride whose grid is rows × cols at this input size. */
export function strideForGrid(rows: number, cols: number, width: number, height: number): number | undefined {
  return KNOWN_STRIDES.find((s) => Math.ceil(width / s) === cols && Math.ceil(height / s) === rows);
}

/** All dims known. */
export function isStatic(dims: ReadonlyArray<number | undefined>): dims is number[] {
  return dims.every((d) => typeof d === 'number' && d > 0);
}

/** Dims without leading batch-of-one axes ([1,N,C] → [N,C]); undefined stays (symbolic). */
export function withoutBatch(dims: ReadonlyArray<number | undefined>, rank: number): ReadonlyArray<number | undefined> | undefined {
  if (dims.length === rank) return dims;
  if (dims.length === rank + 1 && (dims[0] === 1 || dims[0] === undefined)) return dims.slice(1);
  return undefined;
}

/** Float view of any output (int64 labels become numbers). */
export function numbers(data: OutputData): ArrayLike<number> {
  return data instanceof BigInt64Array ? Float64Array.from(data, (v) => Number(v)) : data;
}

/** A 2-D view: `at(r, c)` is row r (box or cell), column c (channel). */
export interface Table {
  rows: number;
  cols: number;
  at(r: number, c: number): number;
}

export function table(data: ArrayLike<number>, rows: number, cols: number, rowStride: number, colStride: number, offset = 0): Table {
  return { rows, cols, at: (r, c) => data[offset + r * rowStride + c * colStride]! };
}

/** Rows of a rank-2 ([N,C]) or batch-1 rank-3 ([1,N,C]) output; `transposed` reads [1,C,N] as N rows. */
export function rowsOf(t: OutputTensor, transposed = false): Table | undefined {
  const d = withoutBatch(t.dims, 2);
  if (!d || !isStatic(d)) return undefined;
  const [a, b] = d as [number, number];
  const data = numbers(t.data);
  return transposed ? table(data, b, a, 1, b) : table(data, a, b, b, 1);
}

/** Cells of a per-level map [1,C,h,w] (channels first) or [1,h,w,C] (channels last) as rows of C channels. */
export function cellsOf(t: OutputTensor, level: GridLevel, channelsFirst: boolean): Table {
  const data = numbers(t.data);
  const channels = channelsFirst ? t.dims[1]! : t.dims[3]!;
  return channelsFirst ? table(data, level.cells, channels, 1, level.cells) : table(data, level.cells, channels, channels, 1);
}

/**
 * How a rank-4 output lays out a level's grid: channels first ([1,C,h,w]) or last ([1,h,w,C]), or undefined
 * when it is not this level's grid.
 */
export function gridOrientation(dims: ReadonlyArray<number | undefined>, level: GridLevel): 'first' | 'last' | undefined {
  if (dims.length !== 4) return undefined;
  const cf = dims[2] === level.rows && dims[3] === level.cols;
  const cl = dims[1] === level.rows && dims[2] === level.cols;
  if (cf && !cl) return 'first';
  if (cl && !cf) return 'last';
  return undefined;
}

/** Finds the level whose grid a rank-4 map has, with its orientation. */
export function levelOfMap(sig: OutputSignature, width: number, height: number): { level: GridLevel; channelsFirst: boolean; channels: number } | undefined {
  const d = sig.dims;
  if (d.length !== 4 || !(d[0] === 1 || d[0] === undefined) || !isStatic(d.slice(1))) return undefined;
  for (const level of gridLevels(width, height, KNOWN_STRIDES)) {
    const o = gridOrientation(d, level);
    if (o) return { level, channelsFirst: o === 'first', channels: (o === 'first' ? d[1] : d[3])! };
  }
  return undefined;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * Whether these values are logits rather than probabilities: any value outside [0, 1] on a real image. A
 * probability never leaves [0, 1]; background logits are far below 0, so logits stay inside only on a blank input.
 */
export function looksLikeLogits(t: Table, columns: readonly number[]): boolean {
  for (let r = 0; r < t.rows; r++) {
    for (const c of columns) {
      const v = t.at(r, c);
      if (v < 0 || v > 1) return true;
    }
  }
  return false;
}

/** The activation to apply to scores: an explicit choice, or 'auto' decided on the values. */
export function scoreActivation(mode: string | undefined, t: Table, columns: readonly number[]): (x: number) => number {
  const apply = mode === 'sigmoid' || ((mode === undefined || mode === 'auto') && looksLikeLogits(t, columns));
  return apply ? sigmoid : (x) => x;
}

export const range = (start: number, end: number): number[] => Array.from({ length: Math.max(0, end - start) }, (_, i) => start + i);

export const shapeText = (dims: ReadonlyArray<number | undefined>): string => `[${dims.map((d) => d ?? '?').join(',')}]`;

/** One per-stride output map: its level, orientation and channel count (all anchors of a cell together). */
export interface GridMap {
  index: number;
  level: GridLevel;
  channelsFirst: boolean;
  channels: number;
  /** A [1, A, h, w, C] map: anchors on their own axis, `channels` = A × C. */
  anchorsAxis: boolean;
}

/** Where a grid head's values are: one table of rows over all strides, or one map per stride (finest first). */
export type GridHead = { kind: 'table'; index: number; rows: number; cols: number } | { kind: 'maps'; maps: GridMap[] };

/**
 * Finds a grid head: per-stride maps when any output is one (rank 4, channels first or, with `channelsLast`,
 * last; rank 5 [1,A,h,w,C] with `rank5`), else the first static table [1,N,C] / [N,C] with N > C ≥ 6.
 */
export function findGridHead(outputs: readonly OutputSignature[], width: number, height: number, options: { channelsLast: boolean; rank5: boolean }): GridHead | undefined {
  const maps: GridMap[] = [];
  outputs.forEach((o, index) => {
    if (options.rank5 && o.dims.length === 5 && (o.dims[0] === 1 || o.dims[0] === undefined) && isStatic(o.dims.slice(1))) {
      const [, a, h, w, c] = o.dims as number[];
      const level = gridLevels(width, height, KNOWN_STRIDES).find((l) => l.rows === h && l.cols === w);
      if (level) maps.push({ index, level, channelsFirst: false, channels: a! * c!, anchorsAxis: true });
      return;
    }
    const m = levelOfMap(o, width, height);
    if (m && (m.channelsFirst || options.channelsLast)) maps.push({ index, ...m, anchorsAxis: false });
  });
  if (maps.length > 0) return { kind: 'maps', maps: maps.sort((a, b) => a.level.stride - b.level.stride) };
  for (let index = 0; index < outputs.length; index++) {
    const d = withoutBatch(outputs[index]!.dims, 2);
    if (!d || !isStatic(d)) continue;
    const [rows, cols] = d as [number, number];
    if (cols >= 6 && rows > cols) return { kind: 'table', index, rows, cols };
  }
  return undefined;
}

/** Softmax over each row of a table, computed once per row as `at(r, c)` walks it row by row. */
export function rowSoftmax(t: Table): (r: number, c: number) => number {
  let row = -1;
  let max = 0;
  let sum = 0;
  return (r, c) => {
    if (r !== row) {
      row = r;
      max = -Infinity;
      for (let k = 0; k < t.cols; k++) max = Math.max(max, t.at(r, k));
      sum = 0;
      for (let k = 0; k < t.cols; k++) sum += Math.exp(t.at(r, k) - max);
    }
    return Math.exp(t.at(r, c) - max) / sum;
  };
}
