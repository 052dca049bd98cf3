import { EdgeoptError } from '../../util/errors.js';
import type { NodeProto } from '../types.js';

/** A dimension: a number when known, a symbol ('batch', 'unk_3') when not. */
export type Dim = number | string;

/** Element type and shape of one tensor. A scalar has shape []. */
export interface TensorType {
  dataType: number;
  shape: Dim[];
}

/**
 * What a rule says about one output. `value` carries the contents of small constant tensors
 * (shapes, axes, scales) so that Shape→Gather→Concat→Reshape chains resolve to numbers.
 */
export interface OutputInfo extends TensorType {
  value?: number[];
}

/** What a shape rule can ask about the node it is looking at. */
export interface ShapeContext {
  node: NodeProto;
  /** Opset of the node's domain (default domain for ops without one). */
  opset: number;
  /** Type of input `i`; undefined when the input is absent, empty or still unknown. */
  input(i: number): TensorType | undefined;
  /** Contents of input `i` when it is a small constant known at inference time. */
  value(i: number): number[] | undefined;
  /** Whether input `i` is given (ONNX marks skipped optional inputs with an empty name). */
  has(i: number): boolean;
  /** A fresh symbolic dimension, for sizes that depend on data. */
  symbol(): string;
}

/** Returns one entry per node output; undefined entries stay unknown. */
export type ShapeRule = (ctx: ShapeContext) => Array<OutputInfo | undefined>;

/** A shape that makes the model invalid: a clear one-line error naming the node. */
export function invalidShape(ctx: ShapeContext, message: string): EdgeoptError {
  return new EdgeoptError(`invalid model: ${ctx.node.opType} node '${ctx.node.name ?? ''}': ${message}`);
}
