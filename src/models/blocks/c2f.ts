/**
 * `C2f(c1, c2, n, shortcut, g, e)` (YOLOv8): cv1 to 2c channels, split in two halves, n Bottlenecks chained on
 * the second half with every intermediate kept, all concatenated and fused by cv2. `C3k2` (YOLO11) is C2f whose
 * inner modules are C3k blocks or e=0.5 Bottlenecks.
 */
import type { FeatureMap, GraphContext } from '../graph-context.js';
import { bottleneck } from './bottleneck.js';
import { concat } from './concat.js';
import { convBnAct } from './conv.js';

export type InnerBlock = (ctx: GraphContext, path: string, x: FeatureMap, channels: number) => FeatureMap;

/** The C2f skeleton with a pluggable inner block. */
export function c2fWith(ctx: GraphContext, path: string, x: FeatureMap, o: { c2: number; n: number; e: number }, inner: InnerBlock): FeatureMap {
  const c = Math.trunc(o.c2 * o.e);
  const y = convBnAct(ctx, `${path}.cv1`, x, { c2: 2 * c, k: 1 });
  const [first, second] = ctx.split(path, y.name, [c, c], 1);
  const parts: FeatureMap[] = [
    { ...y, name: first!, channels: c },
    { ...y, name: second!, channels: c },
  ];
  for (let i = 0; i < o.n; i++) parts.push(inner(ctx, `${path}.m.${i}`, parts[parts.length - 1]!, c));
  return convBnAct(ctx, `${path}.cv2`, concat(ctx, path, parts), { c2: o.c2, k: 1 });
}

export function c2f(ctx: GraphContext, path: string, x: FeatureMap, o: { c2: number; n: number; shortcut: boolean; g?: number; e?: number }): FeatureMap {
  return c2fWith(ctx, path, x, { c2: o.c2, n: o.n, e: o.e ?? 0.5 }, (cx, p, input, c) =>
    bottleneck(cx, p, input, { c2: c, shortcut: o.shortcut, g: o.g, k: [3, 3], e: 1.0 }),
  );
}
