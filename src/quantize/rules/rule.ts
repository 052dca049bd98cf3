import type { NodeProto } from '../../onnx/types.js';
import type { DynamicQuantizeContext } from '../context.js';

/**
 * How one op type is quantized dynamically. `check` says why a node must stay float (or undefined
 * when it can be quantized); `rewrite` returns the nodes that replace it, producing the same output
 * tensor names so that the rest of the graph is untouched.
 */
export interface DynamicQuantizeRule {
  opType: string;
  check(node: NodeProto, ctx: DynamicQuantizeContext): string | undefined;
  rewrite(node: NodeProto, ctx: DynamicQuantizeContext): NodeProto[];
}
