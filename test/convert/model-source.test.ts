import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OFFICIAL_MODELS, modelCacheDir, resolveModelSource } from '../../src/convert/model-source.js';
import { asset, hasAssets } from '../helpers/assets.js';

describe('resolveModelSource', () => {
  const cache = mkdtempSync(join(tmpdir(), 'edgeopt-cache-'));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('finds the cache in $EDGEOPT_CACHE, else ~/.cache/edgeopt', () => {
    expect(modelCacheDir({ env: { EDGEOPT_CACHE: '/x/y' } })).toBe('/x/y');
    expect(modelCacheDir({ env: {} })).toMatch(/\.cache\/edgeopt$/);
  });

  it("'default' is the built-in synthetic YOLOv5n", () => {
    expect(resolveModelSource('default', { cacheDir: cache })).toEqual({ kind: 'builtin', name: 'yolov5n', synthetic: true });
  });

  it('an official name missing from the cache is one line with the path and the release URL', () => {
    expect(() => resolveModelSource('yolov5n', { cacheDir: cache })).toThrow(
      `yolov5n.pt is not available offline: download https://github.com/ultralytics/yolov5/releases/download/v7.0/yolov5n.pt and save it as ${join(cache, 'yolov5n.pt')}, or use --model default for the built-in synthetic yolov5n`,
    );
  });

  it('rejects specs that are neither files of a known kind nor names', () => {
    expect(() => resolveModelSource('resnet50', { cacheDir: cache })).toThrow(/neither a \.onnx\/\.pt file nor one of: default, yolov5n, yolov5nu, yolov8n/);
    expect(() => resolveModelSource(join(cache, 'nothing.pt'))).toThrow(/model not found/);
  });

  it('a cached file that is not the release is refused by its sha256', () => {
    const dir = mkdtempSync(join(cache, 'wrong-'));
    writeFileSync(join(dir, 'yolov5n.pt'), 'not the release');
    expect(() => resolveModelSource('yolov5n', { cacheDir: dir })).toThrow(/is not the official yolov5n\.pt \(sha256 .*expected 4f180cf23ba0/);
  });

  it.skipIf(!hasAssets)('a cached official checkpoint and plain paths resolve to files', () => {
    copyFileSync(asset('models', 'yolov5n.pt'), join(cache, 'yolov5n.pt'));
    expect(resolveModelSource('yolov5n', { cacheDir: cache })).toEqual({
      kind: 'checkpoint',
      path: join(cache, 'yolov5n.pt'),
      official: OFFICIAL_MODELS.yolov5n,
      verified: true,
    });
    expect(resolveModelSource(asset('reference', 'yolov5n_fp32_torch.onnx'))).toEqual({ kind: 'onnx', path: asset('reference', 'yolov5n_fp32_torch.onnx') });
    expect(resolveModelSource(asset('ultralytics', 'yolov8n.pt'))).toEqual({ kind: 'checkpoint', path: asset('ultralytics', 'yolov8n.pt') });
  });
});
