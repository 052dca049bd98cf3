import { EdgeoptError } from '../util/errors.js';
import type { GraphProto, ModelProto, NodeProto, TensorProto } from './types.js';

/**
 * Indexes over a graph: which node produces a tensor, which nodes consume it, which names are
 * initializers. Built once and passed around; rebuild after editing the graph.
 */
export interface GraphIndex {
  producer: Map<string, NodeProto>;
  consumers: Map<string, NodeProto[]>;
  initializers: Map<string, TensorProto>;
  graphInputs: Set<string>;
  graphOutputs: Set<string>;
}

export function indexGraph(graph: GraphProto): GraphIndex {
  const producer = new Map<string, NodeProto>();
  const consumers = new Map<string, NodeProto[]>();
  for (const node of graph.node) {
    for (const out of node.output) if (out) producer.set(out, node);
    for (const input of node.input) {
      if (!input) continue;
      const list = consumers.get(input);
      if (list) {
        if (!list.includes(node)) list.push(node);
      } else consumers.set(input, [node]);
    }
  }
  return {
    producer,
    consumers,
    initializers: new Map(graph.initializer.map((t) => [t.name ?? '', t])),
    graphInputs: new Set(graph.input.map((v) => v.name ?? '')),
    graphOutputs: new Set(graph.output.map((v) => v.name ?? '')),
  };
}

/** The bodies of a control-flow node (If branches, Loop/Scan body); empty for every other node. */
export function subgraphs(node: NodeProto): GraphProto[] {
  return node.attribute.flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);
}

/**
 * Names a node's subgraphs read from the enclosing scope (ONNX lets a branch or loop body use any outer tensor by
 * name, without listing it as an input). Ordering and rewriting must treat them as inputs of the node.
 */
export function outerReferences(node: NodeProto): string[] {
  const found = new Set<string>();
  const visit = (graph: GraphProto, outerDefined: ReadonlySet<string>) => {
    const defined = new Set([
      ...outerDefined,
      ...graph.input.map((v) => v.name ?? ''),
      ...graph.initializer.map((t) => t.name ?? ''),
      ...graph.node.flatMap((n) => n.output),
    ]);
    for (const inner of graph.node) {
      for (const name of inner.input) if (name && !defined.has(name)) found.add(name);
      for (const g of subgraphs(inner)) visit(g, defined);
    }
  };
  for (const g of subgraphs(node)) visit(g, new Set());
  return [...found];
}

/** Everything a node reads: its inputs and its subgraphs' outer references. */
export function nodeReads(node: NodeProto): string[] {
  return subgraphs(node).length === 0 ? node.input : [...node.input, ...outerReferences(node)];
}

/**
 * Nodes in an order where every node comes after the producers of what it reads (inputs and, for If/Loop, the outer
 * tensors its bodies use) — Kahn's algorithm, stable with respect to the original order. Throws on a cycle.
 */
export function topologicalSort(graph: GraphProto): NodeProto[] {
  const index = indexGraph(graph);
  const position = new Map(graph.node.map((n, i) => [n, i]));
  const pending = new Map<NodeProto, number>();
  const ready: NodeProto[] = [];
  const reads = new Map(graph.node.map((n) => [n, nodeReads(n)]));
  for (const node of graph.node) {
    const deps = new Set(reads.get(node)!.filter((i) => i && index.producer.has(i)).map((i) => index.producer.get(i)!));
    deps.delete(node);
    pending.set(node, deps.size);
    if (deps.size === 0) ready.push(node);
  }
  const order: NodeProto[] = [];
  const dependents = new Map<NodeProto, Set<NodeProto>>();
  for (const node of graph.node) {
    for (const input of reads.get(node)!) {
      const p = input ? index.producer.get(input) : undefined;
      if (!p || p === node) continue;
      let set = dependents.get(p);
      if (!set) dependents.set(p, (set = new Set()));
      set.add(node);
    }
  }
  while (ready.length > 0) {
    ready.sort((a, b) => position.get(a)! - position.get(b)!);
    const node = ready.shift()!;
    order.push(node);
    for (const next of dependents.get(node) ?? []) {
      const left = pending.get(next)! - 1;
      pending.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  if (order.length !== graph.node.length) throw new EdgeoptError('graph has a cycle: it is not a valid ONNX graph');
  return order;
}

/** A name generator that never collides with node or tensor names already in the graph. */
export function uniqueNamer(graph: GraphProto): (base: string) => string {
  const taken = new Set<string>();
  for (const node of graph.node) {
    if (node.name) taken.add(node.name);
    for (const n of node.input) taken.add(n);
    for (const n of node.output) taken.add(n);
  }
  for (const t of graph.initializer) taken.add(t.name ?? '');
  for (const v of [...graph.input, ...graph.output, ...graph.valueInfo]) taken.add(v.name ?? '');
  return (base: string) => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
}

/** The opset version the model imports for a domain ('' and 'ai.onnx' are the same domain). */
export function opsetVersion(model: ModelProto, domain = ''): number | undefined {
  const wanted = domain === 'ai.onnx' ? '' : domain;
  const entry = model.opsetImport.find((o) => (o.domain === 'ai.onnx' ? '' : (o.domain ?? '')) === wanted);
  return entry?.version === undefined ? undefined : Number(entry.version);
}

/** Sets the opset of a domain, adding the import when missing. */
export function setOpsetVersion(model: ModelProto, version: number, domain = ''): void {
  const entry = model.opsetImport.find((o) => (o.domain ?? '') === domain);
  if (entry) entry.version = version;
  else model.opsetImport.push({ domain, version });
}

export function addNodes(graph: GraphProto, nodes: NodeProto[]): void {
  graph.node.push(...nodes);
}

export function removeNodes(graph: GraphProto, nodes: Iterable<NodeProto>): void {
  const drop = new Set(nodes);
  graph.node = graph.node.filter((n) => !drop.has(n));
}

/** Replaces `oldNode` by `newNodes` at the same position (keeps the graph roughly topological). */
export function replaceNode(graph: GraphProto, oldNode: NodeProto, newNodes: NodeProto[]): void {
  const at = graph.node.indexOf(oldNode);
  if (at < 0) throw new EdgeoptError(`node '${oldNode.name}' is not in the graph`);
  graph.node.splice(at, 1, ...newNodes);
}

export function addInitializer(graph: GraphProto, tensor: TensorProto): void {
  graph.initializer.push(tensor);
}

/**
 * Drops initializers and value_info that no node or graph output references any more. Old exporters (IR < 4,
 * Paddle2ONNX) also list every initializer in graph.input; such an entry goes with its initializer, or the runtime
 * would expect the caller to feed it.
 */
export function removeUnusedInitializers(graph: GraphProto): void {
  const used = new Set<string>();
  for (const node of graph.node) for (const i of nodeReads(node)) used.add(i);
  for (const o of graph.output) used.add(o.name ?? '');
  const removed = new Set(graph.initializer.filter((t) => !used.has(t.name ?? '')).map((t) => t.name ?? ''));
  graph.initializer = graph.initializer.filter((t) => !removed.has(t.name ?? ''));
  graph.input = graph.input.filter((v) => !removed.has(v.name ?? ''));
  const produced = new Set(graph.node.flatMap((n) => n.output));
  graph.valueInfo = graph.valueInfo.filter((v) => produced.has(v.name ?? ''));
}

/** Makes every consumer of tensor `from` read tensor `to` instead (graph outputs are renamed too). */
export function renameInput(graph: GraphProto, from: string, to: string, options: { except?: NodeProto } = {}): void {
  for (const node of graph.node) {
    if (node === options.except) continue;
    node.input = node.input.map((i) => (i === from ? to : i));
  }
}
