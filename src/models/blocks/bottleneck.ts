/** The residual `Bottleneck(c1, c2, shortcut, g, k, e)`: two Conv blocks, plus the input when shapes allow. */
import type { FeatureMap, GraphContext } from '../graph-context.js';
import { convBnAct } from './conv.js';

export interface BottleneckOptions {
  c2: number;
  shortcut: boolean;
  g?: number;
  /** Kernel sizes of cv1 and cv2: (1, 3) inside YOLOv5/C3 blocks, (3, 3) in C2f/C3k/C3k2. */
  k: [number, number];
  /** Hidden channels = int(c2 · e). */
  e: number;
}

export function bottleneck(ctx: GraphContext, path: string, x: FeatureMap, o: BottleneckOptions): FeatureMap {
  const hidden = Math.trunc(o.c2 * o.e);
  const a = convBnAct(ctx, `${path}.cv1`, x, { c2: hidden, k: o.k[0] });
  const b = convBnAct(ctx, `${path}.cv2`, a, { c2: o.c2, k: o.k[1], g: o.g ?? 1 });
  if (!(o.shortcut && x.channels === o.c2)) return b;
  const [sum] = ctx.add('Add', path, [x.name, b.name]);
  return { ...b, name: sum! };
}
