import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/builder.js';
import { encodeModel, loadModelSync } from '../../src/onnx/model-io.js';
import { makeTensor } from '../../src/onnx/tensor.js';
import { DataType } from '../../src/onnx/types.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'edgeopt-quantize-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function tinyConvModel(opset: number): Uint8Array {
  return encodeModel(
    makeModel(
      makeGraph({
        node: [makeNode('Conv', ['x', 'w', 'b'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'conv' })],
        initializer: [makeTensor('w', Float32Array.from({ length: 4 * 3 * 9 }, (_, i) => Math.sin(i)), [4, 3, 3, 3]), makeTensor('b', Float32Array.of(0.1, -0.2, 0.3, 0), [4])],
        input: [makeValueInfo('x', DataType.FLOAT, [1, 3, 8, 8])],
        output: [makeValueInfo('y', DataType.FLOAT, [1, 4, 8, 8])],
      }),
      { opset },
    ),
  );
}

/** Runs a failing command and checks: one error line, non-zero exit, no output (not even a temp file). */
async function expectCleanFailure(args: string[], message: RegExp): Promise<void> {
  const out = join(dir, `fail-${Math.random().toString(36).slice(2)}.onnx`);
  const before = readdirSync(dir).length;
  const r = await runCli(['quantize', ...args, '-o', out]);
  expect(r.status).not.toBe(0);
  expect(r.stderr.trim().split('\n').filter((l) => l.startsWith('edgeopt: error:'))).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(readdirSync(dir).length).toBe(before);
}

describe('edgeopt quantize: bad input', () => {
  const good = join(dir, 'tiny.onnx');
  writeFileSync(good, tinyConvModel(17));

  it('rejects an unknown --mode and --weight-type', async () => {
    // The error lists every mode --mode accepts, auto (the search) included.
    await expectCleanFailure([good, '--mode', 'magic'], /unknown --mode 'magic' \(available: dynamic, static, fp16, dequantize, auto\)$/m);
    await expectCleanFailure([good, '--mode', 'recipe'], /unknown --mode 'recipe'/);
    await expectCleanFailure([good, '--providers', 'gpu'], /unknown execution provider\(s\) gpu/);
    await expectCleanFailure([good, '--weight-type', 'int4'], /unknown --weight-type 'int4'/);
  });

  it('rejects missing, empty, truncated and non-ONNX files', async () => {
    await expectCleanFailure([join(dir, 'missing.onnx')], /not found/);
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, new Uint8Array());
    await expectCleanFailure([empty], /empty/);
    const truncated = join(dir, 'truncated.onnx');
    writeFileSync(truncated, tinyConvModel(17).subarray(0, 200));
    await expectCleanFailure([truncated], /not (a valid )?ONNX|truncated/i);
    if (hasAssets) await expectCleanFailure([asset('images', 'bus.jpg')], /not (a valid )?ONNX|truncated/i);
  });

  it('rejects an opset without DynamicQuantizeLinear', async () => {
    const old = join(dir, 'opset10.onnx');
    writeFileSync(old, tinyConvModel(10));
    await expectCleanFailure([old], /opset 10.*opset 11/);
  });

  it('quantizes a small model and prints one JSON object', async () => {
    const out = join(dir, 'tiny-int8.onnx');
    const r = await runCli(['quantize', good, '-o', out, '--weight-type', 'int8', '--json']);
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result.report).toMatchObject({ mode: 'dynamic', weightType: 'int8', quantized: { Conv: 1 } });
    expect(result.outputBytes).toBe(readFileSync(out).byteLength);
    const ops = loadModelSync(out).graph.node.map((n) => n.opType);
    expect(ops).toEqual(['DynamicQuantizeLinear', 'ConvInteger', 'Cast', 'Mul', 'Mul', 'Reshape', 'Add']);
  });
});

describe.skipIf(!hasAssets)('edgeopt quantize on YOLOv5nu', () => {
  it('prints the summary with ops, sizes and time', async () => {
    const out = join(dir, 'yolov5nu_int8.onnx');
    const r = await runCli(['quantize', asset('models', 'yolov5nu_fp32.onnx'), '-o', out, '--mode', 'dynamic']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/quantized\s+Conv 76/);
    expect(r.stdout).toMatch(/DynamicQuantizeLinear 63/);
    expect(r.stdout).toMatch(/10\.83 MB -> 3\.0\d MB \(3\.\d\dx smaller\)/);
    expect(r.stdout).toMatch(/\d+ ms quantizing/);
    const ops = loadModelSync(out).graph.node.filter((n) => n.opType === 'ConvInteger');
    expect(ops).toHaveLength(76);
  });
});
