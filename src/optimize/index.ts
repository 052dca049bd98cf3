/**
 * Exact graph rewrites applied before quantization: patterns that onnxruntime runs slowly, replaced by forms that
 * compute the same function faster. They change no weights and need no calibration, so accuracy is untouched and
 * every later stage (quantize, bench, eval) sees an ordinary ONNX graph.
 */
import { removeUnusedInitializers } from '../onnx/graph.js';
import type { LoadedModel } from '../onnx/types.js';
import { EdgeoptError } from '../util/errors.js';
import { REWRITES } from './rewrites/index.js';

export type { GraphRewrite, RewriteMatch } from './rewrite.js';
export { REWRITES } from './rewrites/index.js';

export interface OptimizeOptions {
  /** Rewrite names to apply, in this order (default: every registered rewrite, in registry order). */
  rewrites?: string[];
}

export interface AppliedRewrite {
  rewrite: string;
  /** How many times the pattern was found and replaced (0: the rewrite was a no-op). */
  matches: number;
  /** Names of the original nodes that were removed or replaced. */
  nodes: string[];
}

export interface OptimizeReport {
  schemaVersion: 1;
  applied: AppliedRewrite[];
  nodesBefore: number;
  nodesAfter: number;
}

export interface OptimizeResult {
  model: LoadedModel;
  report: OptimizeReport;
}

/** The rewrite names a caller asked for, checked against the registry (unknown names are a user error). */
export function resolveRewrites(names?: readonly string[]): string[] {
  if (names === undefined) return Object.keys(REWRITES).filter((n) => REWRITES[n]!.byDefault !== false);
  if (!Array.isArray(names) || names.length === 0) throw new EdgeoptError('rewrites must be a non-empty list of rewrite names');
  const unknown = names.filter((n) => !Object.hasOwn(REWRITES, n));
  if (unknown.length > 0) {
    throw new EdgeoptError(`unknown rewrite(s) ${unknown.join(', ')} (available: ${Object.keys(REWRITES).join(', ')})`);
  }
  return [...new Set(names)];
}

/** Applies the selected rewrites to a copy of `input` (which is never modified) and reports what each one did. */
export function optimizeGraph(input: LoadedModel, options: OptimizeOptions = {}): OptimizeResult {
  const names = resolveRewrites(options.rewrites);
  const model = structuredClone(input);
  const applied: AppliedRewrite[] = [];
  for (const name of names) {
    const matches = REWRITES[name]!.apply(model);
    applied.push({ rewrite: name, matches: matches.length, nodes: matches.flatMap((m) => m.nodes) });
  }
  // Only a graph that changed is cleaned up, so a no-op run returns the model exactly as it came.
  if (applied.some((a) => a.matches > 0)) removeUnusedInitializers(model.graph);
  return {
    model,
    report: { schemaVersion: 1, applied, nodesBefore: input.graph.node.length, nodesAfter: model.graph.node.length },
  };
}
