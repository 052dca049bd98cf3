import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/builder.js';
import { saveModel } from '../../src/onnx/model-io.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { DataType } from '../../src/onnx/types.js';

/** A small Conv → Sigmoid → Mul (SiLU) model with a symbolic batch dim: fast, yet fusable by onnxruntime. */
export async function writeTinyModel(dir: string, name = 'tiny.onnx'): Promise<string> {
  const weights = new Float32Array(8 * 3 * 3 * 3).map((_, i) => ((i % 7) - 3) / 10);
  const graph = makeGraph({
    node: [
      makeNode('Conv', ['x', 'w'], ['c'], { pads: [1, 1, 1, 1] }, { name: 'conv' }),
      makeNode('Sigmoid', ['c'], ['s'], {}, { name: 'sigmoid' }),
      makeNode('Mul', ['c', 's'], ['y'], {}, { name: 'silu_mul' }),
    ],
    initializer: [makeTensor('w', weights, [8, 3, 3, 3])],
    input: [makeValueInfo('x', DataType.FLOAT, ['batch', 3, 32, 32])],
    output: [makeValueInfo('y', DataType.FLOAT, ['batch', 8, 32, 32])],
  });
  const path = join(dir, name);
  await saveModel(makeModel(graph, { opset: 17 }), path);
  return path;
}

export function tempDir(prefix = 'edgeopt-bench-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(os.tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
