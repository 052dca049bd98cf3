import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

const work = mkdtempSync(join(tmpdir(), 'edgeopt-analyze-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A failure is one `edgeopt: error:` line, a non-zero exit and nothing on stdout. */
function expectOneLineError(result: Awaited<ReturnType<typeof runCli>>, pattern: RegExp): void {
  expect(result.status).not.toBe(0);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^edgeopt: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
}

describe.skipIf(!hasAssets)('edgeopt analyze', () => {
  const model = asset('models', 'yolov5nu_fp32.onnx');

  it('--json prints one object with the documented keys', async () => {
    const result = await runCli(['analyze', model, '--json']);
    expect(result.status).toBe(0);
    const json = JSON.parse(result.stdout);
    for (const key of ['nodes', 'opCounts', 'parameters', 'parameterBytes', 'fileBytes', 'inputs', 'outputs', 'quantization', 'macs']) {
      expect(json, key).toHaveProperty(key);
    }
    expect(json.nodes).toBe(262);
    expect(json.opCounts.Conv).toBe(76);
    expect(json.fileBytes).toBe(statSync(model).size);
    expect(json.macs.total).toBeGreaterThan(3.8e9);
  });

  it('prints a table by default', async () => {
    const result = await runCli(['analyze', asset('models', 'yolov5nu_int8_dynamic_published.onnx')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/nodes\s+703/);
    expect(result.stdout).toMatch(/ConvInteger\s+76\s+3\.\d{3} G/);
    expect(result.stdout).toMatch(/DynamicQuantizeLinear\s+63/);
    expect(result.stdout).toMatch(/file size\s+3\.01 MB/);
  });

  it('rejects a JPEG and a truncated model', async () => {
    expectOneLineError(await runCli(['analyze', asset('images', 'bus.jpg')]), /bus\.jpg/);
    const truncated = join(work, 'truncated.onnx');
    writeFileSync(truncated, readFileSync(model).subarray(0, 100_000));
    expectOneLineError(await runCli(['analyze', truncated, '--json']), /not a valid ONNX model|truncated/);
  });
});

describe('edgeopt analyze bad input', () => {
  it('rejects a missing file and an empty file', async () => {
    expectOneLineError(await runCli(['analyze', join(work, 'nope.onnx')]), /not found/);
    const empty = join(work, 'empty.onnx');
    writeFileSync(empty, '');
    expectOneLineError(await runCli(['analyze', empty]), /empty/);
  });
});
