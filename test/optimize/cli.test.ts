import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelSync } from '../../src/onnx/model-io.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'edgeopt-optimize-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!hasAssets)('edgeopt optimize', () => {
  it('rewrites the DFL of yolov5nu and prints one JSON report', async () => {
    const out = join(dir, 'yolov5nu_opt.onnx');
    const result = await runCli(['optimize', asset('models', 'yolov5nu_fp32.onnx'), '-o', out, '--rewrites', 'dfl-softmax', '--json']);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.report.schemaVersion).toBe(1);
    expect(json.report.applied).toEqual([
      { rewrite: 'dfl-softmax', matches: 1, nodes: ['/model.24/dfl/Transpose', '/model.24/dfl/Softmax', '/model.24/dfl/conv/Conv'] },
    ]);
    const written = loadModelSync(out);
    expect(written.graph.node.some((n) => n.opType === 'MatMul')).toBe(true);
    expect(json.bytes).toBeGreaterThan(1e6);
  });

  it('prints a readable summary without --json', async () => {
    const out = join(dir, 'summary.onnx');
    const result = await runCli(['optimize', asset('models', 'yolov5nu_fp32.onnx'), '-o', out]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/dfl-softmax: 1 match/);
    expect(result.stdout).toMatch(/nodes 262 → 262/);
  });
});

describe('edgeopt optimize on bad input', () => {
  it('fails in one line on a missing, corrupt or unknown-rewrite input and writes nothing', async () => {
    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, 'this is not protobuf at all');
    const out = join(dir, 'never.onnx');
    for (const args of [
      ['optimize', join(dir, 'missing.onnx'), '-o', out],
      ['optimize', corrupt, '-o', out],
      ['optimize', corrupt, '-o', out, '--rewrites', 'bogus'],
    ]) {
      const result = await runCli(args);
      expect(result.status).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^edgeopt: error: /);
    }
    const unknown = await runCli(['optimize', corrupt, '-o', out, '--rewrites', 'bogus']);
    expect(unknown.stderr).toMatch(/unknown rewrite\(s\) bogus \(available: dfl-softmax, concat-split, stem-space-to-depth\)/);
    expect(existsSync(out)).toBe(false);
  });
});
