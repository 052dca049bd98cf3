/** `C3k2(c1, c2, n, c3k, e, g, shortcut)` (YOLO11): a C2f whose inner blocks are C3k(c, c, 2) or Bottlenecks. */
import type { FeatureMap, GraphContext } from '../graph-context.js';
import { bottleneck } from './bottleneck.js';
import { c2fWith } from './c2f.js';
import { c3k } from './c3.js';

export function c3k2(ctx: GraphContext, path: string, x: FeatureMap, o: { c2: number; n: number; c3k: boolean; e?: number; g?: number; shortcut?: boolean }): FeatureMap {
  const shortcut = o.shortcut ?? true;
  return c2fWith(ctx, path, x, { c2: o.c2, n: o.n, e: o.e ?? 0.5 }, (cx, p, input, c) =>
    o.c3k
      ? c3k(cx, p, input, { c2: c, n: 2, shortcut, g: o.g })
      : bottleneck(cx, p, input, { c2: c, shortcut, g: o.g, k: [3, 3], e: 0.5 }),
  );
}
