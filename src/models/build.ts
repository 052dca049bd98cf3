/**
 * Architecture spec + weight source → ONNX model. The layer loop is the official `parse_model` (depth and width
 * scaling, constructor arguments, `from` wiring); each module is emitted by its block builder from the registry.
 */
import { makeGraph, makeModel, makeValueInfo } from '../onnx/builder.js';
import { DataType, type LoadedModel } from '../onnx/types.js';
import { EdgeoptError } from '../util/errors.js';
import { scaledDepth, scaledWidth, type ArchitectureSpec } from './architecture.js';
import type { ModelFamily } from './family.js';
import { SUPPORTED_MODULES, blockFor, moduleShortName } from './blocks/registry.js';
import { GraphContext, type FeatureMap } from './graph-context.js';
import type { BuiltModelInfo } from './info.js';
import { modelMetadata } from './metadata.js';
import type { WeightSource } from './weights.js';
import { MAX_STRIDE, resolveBuildOptions } from './build-options.js';

// The defaults and their checks live in build-options.ts (light enough for the CLI's start-up); re-exported here.
export { DEFAULT_IMGSZ, DEFAULT_OPSET, MAX_OPSET, MAX_STRIDE, MIN_OPSET, resolveBuildOptions } from './build-options.js';

export interface BuildOptions {
  /** Input size: one number for a square input or [height, width]; multiples of the max stride. Default 640. */
  imgsz?: number | [number, number];
  /** ONNX opset, 12–21 (default 17). */
  opset?: number;
  /** A symbolic batch axis ('batch') instead of the static batch of 1. */
  dynamicBatch?: boolean;
  /** Class names, index = class id; defaults to 'class0', 'class1', …. */
  names?: string[];
  /** One line for the model's `description` metadata. */
  description?: string;
}

export type { BuiltModelInfo } from './info.js';

export interface BuiltModel {
  model: LoadedModel;
  info: BuiltModelInfo;
}

/** Resolves the yaml's symbolic arguments the way parse_model's eval does. */
function resolveArg(value: unknown, spec: ArchitectureSpec): unknown {
  if (value === 'nc') return spec.nc;
  if (value === 'anchors') return spec.anchors;
  if (value === 'None') return null;
  if (value === 'True') return true;
  if (value === 'False') return false;
  return value;
}

export function buildYoloModel(spec: ArchitectureSpec, weights: WeightSource, options: BuildOptions = {}): BuiltModel {
  const { imgsz, opset } = resolveBuildOptions(options);
  const dynamicBatch = options.dynamicBatch ?? false;
  const ctx = new GraphContext({ opset, dynamicBatch, weights });
  const input: FeatureMap = { name: 'images', channels: spec.ch, height: imgsz[0], width: imgsz[1] };
  const outputs: FeatureMap[] = [];
  let previous = input;
  let detectInputs: FeatureMap[] = [];

  spec.layers.forEach((layer, i) => {
    ctx.layer = `layer ${i} (${layer.module})`;
    const entry = blockFor(layer.module);
    if (!entry) {
      throw new EdgeoptError(`unsupported module '${layer.module}' at layer ${i}: edgeopt converts ${SUPPORTED_MODULES.join(', ')}`);
    }
    const froms = Array.isArray(layer.from) ? layer.from : [layer.from];
    const inputs = froms.map((f) => {
      const source = f === -1 ? previous : outputs[f < 0 ? i + f : f];
      if (!source) throw new EdgeoptError(`${ctx.layer}: input from layer ${f} does not exist`);
      return source;
    });
    let args = layer.args.map((a) => resolveArg(a, spec));
    let repeats = scaledDepth(layer.repeats, spec.depthMultiple);
    if (entry.widthScaled) {
      const c2Raw = args[0];
      if (typeof c2Raw !== 'number') throw new EdgeoptError(`${ctx.layer}: first argument must be the channel count`);
      const c2 = c2Raw !== spec.nc ? scaledWidth(c2Raw, spec) : c2Raw;
      args = [inputs[0]!.channels, c2, ...args.slice(1)];
      if (entry.repeatsInArgs) {
        args.splice(2, 0, repeats);
        repeats = 1;
      }
      // parse_model turns C3k on in C3k2 for the M/L/X scales.
      if (moduleShortName(layer.module) === 'C3k2' && spec.scale !== undefined && 'mlx'.includes(spec.scale)) args[3] = true;
    }
    if (moduleShortName(layer.module) === 'Detect') {
      args.push(inputs.map((x) => x.channels));
      detectInputs = inputs;
    }
    let y: FeatureMap = inputs[0]!;
    for (let r = 0; r < repeats; r++) {
      const path = repeats === 1 ? `model.${i}` : `model.${i}.${r}`;
      y = entry.build({ ctx, spec, path, inputs: r === 0 ? inputs : [y], args, inputSize: imgsz });
    }
    outputs.push(y);
    previous = y;
  });

  const last = spec.layers[spec.layers.length - 1];
  if (!last || moduleShortName(last.module) !== 'Detect') {
    throw new EdgeoptError(`the model's last layer is ${last ? `'${last.module}'` : 'missing'}, not a Detect head: only detection models are supported`);
  }
  const head = outputs[outputs.length - 1]!;
  const finalNode = ctx.nodes.find((n) => n.output[0] === head.name)!;
  finalNode.output[0] = 'output0';

  const stride = Math.max(...detectInputs.map((x) => imgsz[0] / x.height));
  if (imgsz.some((s) => s % stride !== 0)) {
    throw new EdgeoptError(`imgsz ${imgsz.join('x')} is invalid: each side must be a multiple of the model's max stride ${stride}`);
  }
  const batch: number | string = dynamicBatch ? 'batch' : 1;
  const outputShape = spec.family === 'yolov5' ? [batch, head.height, head.channels] : [batch, head.channels, head.height];
  const names = options.names ?? Array.from({ length: spec.nc }, (_, i) => `class${i}`);
  if (names.length !== spec.nc) {
    throw new EdgeoptError(`the checkpoint names ${names.length} classes but its architecture has nc=${spec.nc}`);
  }
  const info: BuiltModelInfo = {
    family: spec.family,
    architecture: spec.name,
    nc: spec.nc,
    names,
    params: ctx.params,
    imgsz,
    opset,
    dynamicBatch,
    stride,
    synthetic: weights.synthetic,
  };
  const graph = makeGraph({
    name: spec.name,
    node: ctx.nodes,
    initializer: ctx.initializers,
    input: [makeValueInfo('images', DataType.FLOAT, [batch, spec.ch, imgsz[0], imgsz[1]])],
    output: [makeValueInfo('output0', DataType.FLOAT, outputShape)],
  });
  const model = makeModel(graph, { opset, metadata: modelMetadata(info, options.description) }) as LoadedModel;
  return { model, info };
}
