/**
 * Convolutions: the YOLO `Conv` block (Conv2d without bias + BatchNorm2d + SiLU) with BatchNorm folded into the
 * convolution and SiLU spelled Sigmoid·Mul as the official exports spell it, `DWConv` (the same with
 * groups = gcd(c1, c2)), and the plain biased `nn.Conv2d` of the Detect heads.
 */
import { EdgeoptError } from '../../util/errors.js';
import type { FeatureMap, GraphContext } from '../graph-context.js';

export interface ConvOptions {
  c2: number;
  k: number;
  s?: number;
  /** Padding; defaults to 'same' padding (`autopad`). */
  p?: number;
  g?: number;
  d?: number;
  /** SiLU after the conv (the default) or no activation (`act=False`). */
  act?: boolean;
}

/** The official `autopad`: padding that keeps the spatial size at stride 1. */
export function autopad(k: number, p?: number, d = 1): number {
  if (p !== undefined && p !== null) return p;
  const effective = d > 1 ? d * (k - 1) + 1 : k;
  return Math.floor(effective / 2);
}

function outputSize(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Emits the ONNX Conv node over initializers already added (weight, and bias unless omitted). */
function emitConv(ctx: GraphContext, scope: string, x: FeatureMap, params: string[], o: Required<Omit<ConvOptions, 'act'>>): FeatureMap {
  const [out] = ctx.add('Conv', scope, [x.name, ...params], {
    dilations: [o.d, o.d],
    group: o.g,
    kernel_shape: [o.k, o.k],
    pads: [o.p, o.p, o.p, o.p],
    strides: [o.s, o.s],
  });
  return { name: out!, channels: o.c2, height: outputSize(x.height, o.k, o.s, o.p, o.d), width: outputSize(x.width, o.k, o.s, o.p, o.d) };
}

/** SiLU as the exporters write it: x · sigmoid(x). */
export function silu(ctx: GraphContext, scope: string, x: FeatureMap): FeatureMap {
  const [sig] = ctx.add('Sigmoid', scope, [x.name]);
  const [out] = ctx.add('Mul', scope, [x.name, sig!]);
  return { ...x, name: out! };
}

/**
 * `Conv(c1, c2, k, s, p, g, d, act)` at module path `path` (e.g. 'model.2.cv1'): reads `<path>.conv.weight` and
 * `<path>.bn.*`, folds the BatchNorm (w' = w·γ/√(var+eps), b' = β − mean·γ/√(var+eps)), or takes
 * `<path>.conv.bias` as is when the checkpoint was saved already fused.
 */
export function convBnAct(ctx: GraphContext, path: string, x: FeatureMap, options: ConvOptions): FeatureMap {
  const o = { c2: options.c2, k: options.k, s: options.s ?? 1, g: options.g ?? 1, d: options.d ?? 1, p: autopad(options.k, options.p, options.d ?? 1) };
  const layer = `${ctx.layer} ${path}`;
  if (x.channels % o.g !== 0 || o.c2 % o.g !== 0) {
    throw new Error(`internal: ${layer}: groups ${o.g} do not divide channels ${x.channels} → ${o.c2}`);
  }
  const shape = [o.c2, x.channels / o.g, o.k, o.k];
  const w = ctx.weights.tensor(`${path}.conv.weight`, shape, layer);
  const perChannel = w.length / o.c2;
  const weight = new Float32Array(w.length);
  const bias = new Float32Array(o.c2);
  ctx.params += w.length;
  if (ctx.weights.has(`${path}.bn.weight`)) {
    const gamma = ctx.weights.tensor(`${path}.bn.weight`, [o.c2], layer);
    const beta = ctx.weights.tensor(`${path}.bn.bias`, [o.c2], layer);
    const mean = ctx.weights.tensor(`${path}.bn.running_mean`, [o.c2], layer);
    const variance = ctx.weights.tensor(`${path}.bn.running_var`, [o.c2], layer);
    const eps = ctx.weights.bnEps(`${path}.bn`);
    ctx.params += 2 * o.c2;
    for (let c = 0; c < o.c2; c++) {
      const scale = gamma[c]! / Math.sqrt(variance[c]! + eps);
      for (let i = c * perChannel; i < (c + 1) * perChannel; i++) weight[i] = w[i]! * scale;
      bias[c] = beta[c]! - mean[c]! * scale;
    }
  } else {
    weight.set(w);
    bias.set(ctx.weights.tensor(`${path}.conv.bias`, [o.c2], layer));
    ctx.params += o.c2;
  }
  const weightName = ctx.floatInitializer(`${path}.conv.weight`, weight, shape);
  const biasName = ctx.floatInitializer(`${path}.conv.bias`, bias, [o.c2]);
  const y = emitConv(ctx, `${path}.conv`, x, [weightName, biasName], o);
  const activation = options.act === false ? 'identity' : 'silu';
  const recorded = ctx.weights.activation?.(path);
  if (recorded !== undefined && recorded !== activation) {
    throw new EdgeoptError(`${layer}: the checkpoint's activation is ${recorded} where the architecture has ${activation}`);
  }
  return activation === 'identity' ? y : silu(ctx, `${path}.act`, y);
}

/** `DWConv(c1, c2, k, s, d, act)`: a Conv block with groups = gcd(c1, c2). */
export function dwConv(ctx: GraphContext, path: string, x: FeatureMap, options: Omit<ConvOptions, 'g' | 'p'>): FeatureMap {
  return convBnAct(ctx, path, x, { ...options, g: gcd(x.channels, options.c2) });
}

/** A plain biased `nn.Conv2d` (Detect's output convs): `<path>.weight`, `<path>.bias`. */
export function conv2d(ctx: GraphContext, path: string, x: FeatureMap, options: { c2: number; k?: number; biasPrior?: Float32Array; weightPrior?: Float32Array; bias?: boolean }): FeatureMap {
  const k = options.k ?? 1;
  const o = { c2: options.c2, k, s: 1, g: 1, d: 1, p: 0 };
  const layer = `${ctx.layer} ${path}`;
  const shape = [o.c2, x.channels, k, k];
  const weight = ctx.weights.tensor(`${path}.weight`, shape, layer, options.weightPrior);
  ctx.params += weight.length;
  const weightName = ctx.floatInitializer(`${path}.weight`, weight, shape);
  const inputs = [x.name, weightName];
  if (options.bias !== false) {
    const bias = ctx.weights.tensor(`${path}.bias`, [o.c2], layer, options.biasPrior);
    ctx.params += bias.length;
    inputs.push(ctx.floatInitializer(`${path}.bias`, bias, [o.c2]));
  }
  return emitConv(ctx, path, x, inputs.slice(1), o);
}
