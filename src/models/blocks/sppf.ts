/** `SPPF(c1, c2, k)`: cv1, three chained k×k stride-1 max pools, concatenation of all four, cv2. */
import type { FeatureMap, GraphContext } from '../graph-context.js';
import { concat } from './concat.js';
import { convBnAct } from './conv.js';

export function sppf(ctx: GraphContext, path: string, x: FeatureMap, o: { c2: number; k: number }): FeatureMap {
  const hidden = Math.floor(x.channels / 2);
  const y0 = convBnAct(ctx, `${path}.cv1`, x, { c2: hidden, k: 1 });
  const pooled: FeatureMap[] = [y0];
  for (let i = 0; i < 3; i++) {
    const [out] = ctx.add('MaxPool', `${path}.m`, [pooled[pooled.length - 1]!.name], {
      ceil_mode: 0,
      kernel_shape: [o.k, o.k],
      pads: Array(4).fill(Math.floor(o.k / 2)),
      strides: [1, 1],
    });
    pooled.push({ ...y0, name: out! });
  }
  return convBnAct(ctx, `${path}.cv2`, concat(ctx, path, pooled), { c2: o.c2, k: 1 });
}
