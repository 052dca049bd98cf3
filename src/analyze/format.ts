import type { ModelAnalysis } from './analyze.js';

/** A plain-text table; `align` gives each column 'l' or 'r' (numbers read best right-aligned). */
function table(rows: string[][], align: string, indent = '  '): string {
  if (rows.length === 0) return '';
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => indent + r.map((cell, c) => (align[c] === 'r' ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd())
    .join('\n');
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;
const giga = (n: number) => `${(n / 1e9).toFixed(3)} G`;
const int = (n: number) => n.toLocaleString('en-US');
const shape = (dims: ReadonlyArray<number | string>) => `[${dims.join(', ')}]`;

/** The human-readable report `edgeopt analyze` prints without --json. */
export function formatAnalysis(a: ModelAnalysis): string {
  const opset = Object.entries(a.opset).map(([d, v]) => `${d} ${v}`).join(', ');
  const lines: string[] = [];
  lines.push(table([
    ['producer', `${a.producer.name} ${a.producer.version}`.trim()],
    ['IR version / opset', `${a.irVersion} / ${opset}`],
    ['file size', a.fileBytes === null ? 'n/a' : mb(a.fileBytes)],
    ['parameters', `${int(a.parameters.count)} (${mb(a.parameterBytes)})`],
    ['nodes', int(a.nodes)],
    ['MACs', `${giga(a.macs.total)} (${giga(a.flops)}FLOPs)${a.macs.dynamicDimsAsOne ? `, dynamic dims of ${a.macs.dynamicDimsAsOne.join(', ')} taken as 1` : ''}`],
  ], 'll', ''));

  lines.push('', 'inputs / outputs:');
  lines.push(table([
    ...a.inputs.map((t) => ['in', t.name, t.dtype, shape(t.shape)]),
    ...a.outputs.map((t) => ['out', t.name, t.dtype, shape(t.shape)]),
  ], 'llll'));

  lines.push('', 'parameters by dtype:');
  lines.push(table([
    ['dtype', 'count', 'size'],
    ...Object.entries(a.parameters.byDtype).map(([d, e]) => [d, int(e.count), mb(e.bytes)]),
  ], 'lrr'));

  lines.push('', 'ops (count, MACs):');
  lines.push(table([
    ['op', 'count', 'MACs'],
    ...Object.entries(a.opCounts).map(([op, n]) => [op, String(n), a.macs.byOpType[op] === undefined ? '' : giga(a.macs.byOpType[op])]),
  ], 'lrr'));

  const quantized = Object.entries(a.quantization).filter(([, n]) => n > 0);
  lines.push('', `quantization: ${a.quantized.description}`);
  if (a.quantized.schemes.length > 0) lines.push('  (its float model: edgeopt quantize <model> -o <fp32.onnx> --mode dequantize)');
  lines.push(table([
    ...(quantized.length ? quantized.map(([op, n]) => [op, String(n)]) : [['no quantized ops', '']]),
    ['float Conv', String(a.floatConv)],
    ['float MatMul/Gemm', String(a.floatMatMul)],
    ['QDQ Conv/MatMul (integer kernels)', String(a.qdqCompute)],
  ], 'lr'));

  lines.push('', 'fusion opportunities:');
  lines.push(table(a.fusions.map((f) => [f.pattern, String(f.count), f.examples.join(', ')]), 'lrl'));

  const unresolved = Object.entries(a.unresolvedShapes);
  if (unresolved.length || a.macs.uncounted.length) {
    lines.push('', `shape inference incomplete: ${unresolved.map(([op, n]) => `${op} ×${n}`).join(', ')}` +
      (a.macs.uncounted.length ? `; ${a.macs.uncounted.length} nodes left out of the MAC count` : ''));
  }
  return lines.join('\n') + '\n';
}
