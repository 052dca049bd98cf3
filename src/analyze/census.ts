import type { NodeProto } from '../onnx/types.js';

/** Ops that mark a quantized graph; always reported (0 when absent) so readers get fixed keys. */
export const QUANTIZATION_OPS = [
  'DynamicQuantizeLinear',
  'QuantizeLinear',
  'DequantizeLinear',
  'ConvInteger',
  'MatMulInteger',
  'QLinearConv',
  'QLinearMatMul',
] as const;

/** Extra quantized ops (com.microsoft QLinear*, MatMulIntegerToFloat, …) reported when present. */
function isQuantizedOp(opType: string): boolean {
  return opType.startsWith('QLinear') || opType.endsWith('Integer') || /quantize/i.test(opType) || opType === 'MatMulIntegerToFloat';
}

export interface QuantizationCensus {
  /** Op name → count for the quantization ops. */
  ops: Record<string, number>;
  /** Conv nodes still computing in float. */
  floatConv: number;
  /** Conv/MatMul/Gemm nodes in QDQ form (weight from a DequantizeLinear): onnxruntime runs them as integer kernels. */
  qdqCompute: number;
  /** MatMul and Gemm nodes still computing in float. */
  floatMatMul: number;
}

export function quantizationCensus(nodes: readonly NodeProto[]): QuantizationCensus {
  const ops: Record<string, number> = Object.fromEntries(QUANTIZATION_OPS.map((op) => [op, 0]));
  let floatConv = 0;
  let floatMatMul = 0;
  let qdqCompute = 0;
  const dequantized = new Set(nodes.filter((n) => n.opType === 'DequantizeLinear').flatMap((n) => n.output));
  for (const node of nodes) {
    const op = node.opType ?? '';
    const isCompute = op === 'Conv' || op === 'ConvTranspose' || op === 'MatMul' || op === 'Gemm';
    if (isCompute && dequantized.has(node.input[1] ?? '')) qdqCompute++;
    else if (op === 'Conv' || op === 'ConvTranspose') floatConv++;
    else if (op === 'MatMul' || op === 'Gemm') floatMatMul++;
    else if (isQuantizedOp(op)) ops[op] = (ops[op] ?? 0) + 1;
  }
  return { ops, floatConv, floatMatMul, qdqCompute };
}
