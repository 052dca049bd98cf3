/** `nn.Upsample(None, scale, 'nearest')` as the exporters write it: Resize with asymmetric/floor nearest. */
import { EdgeoptError } from '../../util/errors.js';
import type { FeatureMap, GraphContext } from '../graph-context.js';

export function upsample(ctx: GraphContext, scope: string, x: FeatureMap, scale: number, mode: string): FeatureMap {
  if (mode !== 'nearest') throw new EdgeoptError(`${ctx.layer}: nn.Upsample mode '${mode}' is not supported (only 'nearest')`);
  if (!Number.isInteger(scale) || scale < 1) throw new EdgeoptError(`${ctx.layer}: nn.Upsample scale must be a positive integer, got ${scale}`);
  const scales = ctx.floatInitializer(`${scope}.scales`, new Float32Array([1, 1, scale, scale]), [4]);
  // Opsets 11–12 require the roi input (an empty tensor); from 13 on it may be left out.
  const roi = ctx.opset >= 13 ? '' : ctx.floatInitializer(`${scope}.roi`, new Float32Array(0), [0]);
  const [out] = ctx.add('Resize', scope, [x.name, roi, scales], {
    coordinate_transformation_mode: 'asymmetric',
    mode: 'nearest',
    nearest_mode: 'floor',
  });
  return { name: out!, channels: x.channels, height: x.height * scale, width: x.width * scale };
}
