/**
 * `C3(c1, c2, n, shortcut, g, e)` (YOLOv5 and Ultralytics): cv1 → n Bottlenecks (k 1,3), cv2 on the input,
 * concatenated and fused by cv3. `C3k` is the same with k×k bottlenecks (inside YOLO11's C3k2).
 */
import type { FeatureMap, GraphContext } from '../graph-context.js';
import { bottleneck } from './bottleneck.js';
import { concat } from './concat.js';
import { convBnAct } from './conv.js';

export interface C3Options {
  c2: number;
  n: number;
  shortcut: boolean;
  g?: number;
  e?: number;
  /** Bottleneck kernels: (1, 3) for C3, (k, k) for C3k. */
  k?: [number, number];
}

export function c3(ctx: GraphContext, path: string, x: FeatureMap, o: C3Options): FeatureMap {
  const hidden = Math.trunc(o.c2 * (o.e ?? 0.5));
  let y = convBnAct(ctx, `${path}.cv1`, x, { c2: hidden, k: 1 });
  for (let i = 0; i < o.n; i++) {
    y = bottleneck(ctx, `${path}.m.${i}`, y, { c2: hidden, shortcut: o.shortcut, g: o.g, k: o.k ?? [1, 3], e: 1.0 });
  }
  const side = convBnAct(ctx, `${path}.cv2`, x, { c2: hidden, k: 1 });
  return convBnAct(ctx, `${path}.cv3`, concat(ctx, path, [y, side]), { c2: o.c2, k: 1 });
}

/** `C3k(c1, c2, n, shortcut, g, e, k)`. */
export function c3k(ctx: GraphContext, path: string, x: FeatureMap, o: Omit<C3Options, 'k'> & { k?: number }): FeatureMap {
  const k = o.k ?? 3;
  return c3(ctx, path, x, { ...o, k: [k, k] });
}
