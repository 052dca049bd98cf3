/** `Concat(dimension)` of several layers' outputs (channel axis in every YOLO yaml). */
import { EdgeoptError } from '../../util/errors.js';
import type { FeatureMap, GraphContext } from '../graph-context.js';

export function concat(ctx: GraphContext, scope: string, inputs: FeatureMap[], axis = 1): FeatureMap {
  if (axis !== 1) throw new EdgeoptError(`${ctx.layer}: Concat along dimension ${axis} is not supported (YOLO yamls concatenate channels)`);
  const [first] = inputs;
  if (!first || inputs.some((x) => x.height !== first.height || x.width !== first.width)) {
    const sizes = inputs.map((x) => `${x.height}x${x.width}`).join(', ');
    throw new EdgeoptError(`${ctx.layer}: Concat inputs have different spatial sizes (${sizes}); the input size must be a multiple of the model's stride`);
  }
  const [out] = ctx.add('Concat', scope, inputs.map((x) => x.name), { axis });
  return { name: out!, channels: inputs.reduce((sum, x) => sum + x.channels, 0), height: first.height, width: first.width };
}
