import type { ModelProto } from '../onnx/types.js';

/**
 * What the graph is made of, by op type: run on the model as written and on the graph onnxruntime
 * actually ran (saved via optimizedModelFilePath), the difference shows what the runtime fused or
 * rewrote (e.g. Conv+Sigmoid+Mul → FusedConv, QDQ pairs → QLinearConv, NCHWc layout).
 */
export interface OpCount {
  opType: string;
  /** '' for the default ONNX domain, e.g. 'com.microsoft' or 'com.microsoft.nchwc'. */
  domain: string;
  count: number;
}

export interface GraphCensus {
  nodeCount: number;
  /** Sorted by count, largest first. */
  opTypes: OpCount[];
}

export interface OpCountChange {
  opType: string;
  domain: string;
  before: number;
  after: number;
}

const key = (opType: string, domain: string) => `${domain === 'ai.onnx' ? '' : domain}\u0000${opType}`;

export function graphCensus(model: ModelProto): GraphCensus {
  const counts = new Map<string, OpCount>();
  const nodes = model.graph?.node ?? [];
  for (const node of nodes) {
    const domain = node.domain === 'ai.onnx' ? '' : node.domain ?? '';
    const opType = node.opType ?? '';
    const k = key(opType, domain);
    const entry = counts.get(k) ?? { opType, domain, count: 0 };
    entry.count++;
    counts.set(k, entry);
  }
  return {
    nodeCount: nodes.length,
    opTypes: [...counts.values()].sort((a, b) => b.count - a.count || a.opType.localeCompare(b.opType)),
  };
}

/** Op types whose count changed between two censuses (sorted by the size of the change). */
export function censusChanges(before: GraphCensus, after: GraphCensus): OpCountChange[] {
  const all = new Map<string, OpCountChange>();
  for (const c of before.opTypes) all.set(key(c.opType, c.domain), { opType: c.opType, domain: c.domain, before: c.count, after: 0 });
  for (const c of after.opTypes) {
    const k = key(c.opType, c.domain);
    const entry = all.get(k) ?? { opType: c.opType, domain: c.domain, before: 0, after: 0 };
    entry.after = c.count;
    all.set(k, entry);
  }
  return [...all.values()]
    .filter((c) => c.before !== c.after)
    .sort((a, b) => Math.abs(b.after - b.before) - Math.abs(a.after - a.before) || a.opType.localeCompare(b.opType));
}

export function qualifiedOpType(opType: string, domain: string): string {
  return domain ? `${domain}:${opType}` : opType;
}
