import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProviders } from '../../src/runtime/providers.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

describe('execution providers', () => {
  it('parses a provider list and rejects unknown names', async () => {
    expect(parseProviders('CUDA, cpu,cpu')).toEqual(['cuda', 'cpu']);
    expect(() => parseProviders('gpu')).toThrow(/unknown execution provider\(s\) gpu/);
    expect(() => parseProviders(' , ')).toThrow(/at least one/);
  });

  it.skipIf(!hasAssets)('falls back explicitly from an unavailable provider and records which one ran', async () => {
    // onnxruntime-node has only the CPU provider here: CUDA fails to load, and edgeopt must say so.
    const model = asset('models', 'yolov5nu_fp32.onnx');
    const fallback = await runCli(['bench', model, '--runs', '2', '--rounds', '1', '--warmup', '0', '--providers', 'cuda,cpu', '--json']);
    expect(fallback.status).toBe(0);
    const run = JSON.parse(fallback.stdout).runs[0];
    expect(run.provenance.run.provider).toBe('cpu');
    expect(run.provenance.run.failedProviders[0].provider).toBe('cuda');
    expect(fallback.stderr).toMatch(/provider cuda unavailable .*ran on cpu/);

    const only = await runCli(['bench', model, '--runs', '2', '--rounds', '1', '--warmup', '0', '--providers', 'cuda', '--json']);
    expect(only.status).toBe(1);
    expect(JSON.parse(only.stdout).runs[0].error).toMatch(/could not load .*cuda/);
  });

  it.skipIf(!hasAssets)('warns about a fallback in every command that opens a session in process (detect, eval), once, in the same words', async () => {
    const model = asset('models', 'yolov5nu_fp32.onnx');
    const out = mkdtempSync(join(tmpdir(), 'edgeopt-fallback-'));
    try {
      const detect = await runCli(['detect', model, asset('images', 'bus.jpg'), '-o', out, '--providers', 'cuda,cpu', '--json']);
      expect(detect.status).toBe(0);
      const warnings = detect.stderr.split('\n').filter((l) => l.includes('warning'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^edgeopt: warning: yolov5nu_fp32\.onnx: provider cuda unavailable \(.+\); ran on cpu$/);
      const evaluated = await runCli(['eval', model, '--data', asset('coco_val128'), '--eval-images', '2', '--providers', 'cuda,cpu', '--json']);
      expect(evaluated.status).toBe(0);
      expect(evaluated.stderr).toMatch(/edgeopt: warning: yolov5nu_fp32\.onnx: provider cuda unavailable .*; ran on cpu/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 240_000);

  it.skipIf(!hasAssets)('quantize takes --providers: static calibration falls back with the same one warning', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edgeopt-fallback-q-'));
    try {
      const model = asset('zoo', 'yolofastestv2_352.onnx');
      const args = ['quantize', model, '-o', join(out, 'int8.onnx'), '--mode', 'static', '--calib', asset('coco128', 'images'), '--calib-images', '2', '--json'];
      const r = await runCli([...args, '--providers', 'cuda,cpu']);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout).report.mode).toBe('static');
      const warnings = r.stderr.split('\n').filter((l) => l.includes('provider cuda'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^edgeopt: warning: .+: provider cuda unavailable \(.+\); ran on cpu$/);
      // Only CUDA: the calibration session cannot open, and quantize says so in one line.
      const only = await runCli([...args, '--providers', 'cuda']);
      expect(only.status).not.toBe(0);
      expect(only.stderr).toMatch(/^edgeopt: error: .*cuda/m);
      expect(only.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 240_000);
});
