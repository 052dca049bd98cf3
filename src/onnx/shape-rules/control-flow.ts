import { getAttribute } from '../builder.js';
import type { GraphProto } from '../types.js';
import { valueInfoType } from './dims.js';
import type { Dim, OutputInfo, ShapeRule } from './types.js';

/**
 * If / Loop / Scan: the main-graph walk does not descend into subgraphs, but each subgraph declares the types of
 * its outputs, and those are the node's output types (shapes only where the declaration gives them). Enough for
 * every later stage to know that a tensor is float or int64 — they leave the control flow itself in float.
 */
function declaredOutputs(graph: GraphProto | undefined): Array<OutputInfo | undefined> {
  return (graph?.output ?? []).map((o) => valueInfoType(o));
}

function subgraph(value: unknown): GraphProto | undefined {
  return value && typeof value === 'object' && 'node' in value ? (value as GraphProto) : undefined;
}

/** If: the then-branch's outputs, with dims the two branches disagree on made symbolic. */
const ifRule: ShapeRule = (ctx) => {
  const thenOut = declaredOutputs(subgraph(getAttribute(ctx.node, 'then_branch')));
  const elseOut = declaredOutputs(subgraph(getAttribute(ctx.node, 'else_branch')));
  return ctx.node.output.map((_, i) => {
    const a = thenOut[i];
    const b = elseOut[i];
    if (!a || !b || a.dataType !== b.dataType) return a && b ? undefined : (a ?? b);
    if (a.shape.length !== b.shape.length) return undefined;
    return { dataType: a.dataType, shape: a.shape.map((d, k): Dim => (d === b.shape[k] ? d : ctx.symbol())) };
  });
};

/**
 * Loop: body outputs are (condition, N carried values, K scan outputs); the node returns the N final carried values
 * and the K scan outputs stacked along a new leading axis of data-dependent length.
 */
const loopRule: ShapeRule = (ctx) => {
  const body = declaredOutputs(subgraph(getAttribute(ctx.node, 'body'))).slice(1);
  const carried = Math.max(0, ctx.node.input.length - 2);
  return ctx.node.output.map((_, i) => {
    const t = body[i];
    if (!t) return undefined;
    return i < carried ? t : { dataType: t.dataType, shape: [ctx.symbol(), ...t.shape] };
  });
};

export const controlFlowRules: Record<string, ShapeRule> = {
  If: ifRule,
  Loop: loopRule,
};
