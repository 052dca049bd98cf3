/**
 * YOLO11's position-sensitive attention: `C2PSA(c1, c2, n, e)` splits cv1's output in two, runs n `PSABlock`s
 * (multi-head `Attention` + a two-conv feed-forward, both residual) on one half, and fuses the halves with cv2.
 * Attention's Conv blocks have no activation (`act=False`).
 */
import { EdgeoptError } from '../../util/errors.js';
import type { FeatureMap, GraphContext } from '../graph-context.js';
import { concat } from './concat.js';
import { convBnAct } from './conv.js';

export function attention(ctx: GraphContext, path: string, x: FeatureMap, o: { numHeads: number; attnRatio: number }): FeatureMap {
  const dim = x.channels;
  const headDim = Math.floor(dim / o.numHeads);
  const keyDim = Math.trunc(headDim * o.attnRatio);
  const hidden = dim + 2 * keyDim * o.numHeads;
  const n = x.height * x.width;
  const batch = ctx.reshapeBatch;
  const qkv = convBnAct(ctx, `${path}.qkv`, x, { c2: hidden, k: 1, act: false });
  const [heads] = ctx.add('Reshape', path, [qkv.name, ctx.int64Constant([batch, o.numHeads, 2 * keyDim + headDim, n])]);
  const [q, k, v] = ctx.split(path, heads!, [keyDim, keyDim, headDim], 2);
  const [qT] = ctx.add('Transpose', path, [q!], { perm: [0, 1, 3, 2] });
  const [logits] = ctx.add('MatMul', path, [qT!, k!]);
  const [scaled] = ctx.add('Mul', path, [logits!, ctx.floatScalar(Math.fround(keyDim ** -0.5))]);
  // axis -1 is the last axis, which means the same under the pre-13 (flatten) and the 13+ Softmax semantics.
  const [weights] = ctx.add('Softmax', path, [scaled!], { axis: -1 });
  const [weightsT] = ctx.add('Transpose', path, [weights!], { perm: [0, 1, 3, 2] });
  const [mixed] = ctx.add('MatMul', path, [v!, weightsT!]);
  const spatial = ctx.int64Constant([batch, dim, x.height, x.width]);
  const [mixedMap] = ctx.add('Reshape', path, [mixed!, spatial]);
  const [valueMap] = ctx.add('Reshape', path, [v!, spatial]);
  const pe = convBnAct(ctx, `${path}.pe`, { ...x, name: valueMap! }, { c2: dim, k: 3, g: dim, act: false });
  const [sum] = ctx.add('Add', path, [mixedMap!, pe.name]);
  return convBnAct(ctx, `${path}.proj`, { ...x, name: sum! }, { c2: dim, k: 1, act: false });
}

export function psaBlock(ctx: GraphContext, path: string, x: FeatureMap, o: { numHeads: number; attnRatio: number; shortcut: boolean }): FeatureMap {
  const residual = (input: FeatureMap, branch: FeatureMap): FeatureMap =>
    o.shortcut ? { ...branch, name: ctx.add('Add', path, [input.name, branch.name])[0]! } : branch;
  const afterAttention = residual(x, attention(ctx, `${path}.attn`, x, o));
  const expanded = convBnAct(ctx, `${path}.ffn.0`, afterAttention, { c2: 2 * x.channels, k: 1 });
  return residual(afterAttention, convBnAct(ctx, `${path}.ffn.1`, expanded, { c2: x.channels, k: 1, act: false }));
}

export function c2psa(ctx: GraphContext, path: string, x: FeatureMap, o: { c2: number; n: number; e?: number }): FeatureMap {
  if (o.c2 !== x.channels) throw new EdgeoptError(`${ctx.layer}: C2PSA needs as many output channels as inputs (${x.channels} ≠ ${o.c2})`);
  const c = Math.trunc(x.channels * (o.e ?? 0.5));
  // One attention head per 64 channels, as the official block sets num_heads = c // 64.
  if (c < 64) throw new EdgeoptError(`${ctx.layer}: C2PSA needs at least 128 channels for one attention head, got ${x.channels}`);
  const y = convBnAct(ctx, `${path}.cv1`, x, { c2: 2 * c, k: 1 });
  const [a, b] = ctx.split(path, y.name, [c, c], 1);
  let branch: FeatureMap = { ...y, name: b!, channels: c };
  for (let i = 0; i < o.n; i++) {
    branch = psaBlock(ctx, `${path}.m.${i}`, branch, { numHeads: Math.floor(c / 64), attnRatio: 0.5, shortcut: true });
  }
  return convBnAct(ctx, `${path}.cv2`, concat(ctx, path, [{ ...y, name: a!, channels: c }, branch]), { c2: x.channels, k: 1 });
}
