import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/pt/checkpoint.js';
import { summarizeCheckpoint, type CheckpointSummary } from '../../src/pt/inspect.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';
import * as P from './pickle-writer.js';

describe.skipIf(!hasAssets)('summarizeCheckpoint', () => {
  it('summarises the official yolov5n.pt', async () => {
    const s = summarizeCheckpoint(readCheckpoint(asset('models', 'yolov5n.pt')));
    expect(s).toMatchObject({ schemaVersion: 1, format: 'torch-zip', prefix: 'archive/', serializationVersion: '3', modelKey: 'model', family: 'yolov5', modelClass: 'models.yolo.Model' });
    expect(s.architecture).toMatchObject({ nc: 80, depthMultiple: 0.33, widthMultiple: 0.25, scale: null, stride: [8, 16, 32] });
    expect(s.architecture!.backbone).toEqual(['Conv', 'Conv', 'C3', 'Conv', 'C3', 'Conv', 'C3', 'Conv', 'C3', 'SPPF']);
    expect(s.architecture!.head.at(-1)).toBe('Detect');
    expect(s.architecture!.anchors![0]).toEqual([10, 13, 16, 30, 33, 23]);
    expect(s.names).toHaveLength(80);
    expect(s.parameters.count).toBe(1_872_157);
    expect(Object.keys(s.parameters.dtypes).sort()).toEqual(['float16', 'int64']);
    expect(s.classes.find((c) => c.className === 'models.common.C3')!.count).toBe(8);
    expect(s.topLevel.map((t) => t.key)).toEqual(['epoch', 'best_fitness', 'model', 'ema', 'updates', 'optimizer', 'wandb_id', 'date']);
    expect(s.training).toMatchObject({ date: '2022-02-08T18:24:20.515893', epoch: -1, version: null });
  });

  it('summarises an Ultralytics checkpoint (scale from the yaml, training args)', async () => {
    const s = summarizeCheckpoint(readCheckpoint(asset('ultralytics', 'yolov8n.pt')));
    expect(s).toMatchObject({ family: 'ultralytics', prefix: 'yolov8n/' });
    expect(s.architecture).toMatchObject({ nc: 80, scale: 'n', depthMultiple: 0.33, widthMultiple: 0.25, yamlFile: 'yolov8n.yaml' });
    expect(s.parameters.count).toBe(3_157_200);
    expect(s.classes.find((c) => c.className === 'ultralytics.nn.modules.block.C2f')!.count).toBe(8);
    // Conv.default_act is one shared SiLU instance: counted once.
    expect(s.classes.find((c) => c.className === 'torch.nn.modules.activation.SiLU')!.count).toBe(1);
    expect(s.training).toMatchObject({ version: '8.3.40', name: 'synthetic-random-weights-seed8', task: 'detect', data: 'coco.yaml', imgsz: 640, epochs: 100 });
  });
});

describe('edgeopt inspect (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeopt-inspect-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!hasAssets)('prints a table for the duckietown checkpoint', async () => {
    const r = await runCli(['inspect', asset('models', 'yolov5n_duckietown_custom.pt')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^format\s+torch-zip \(prefix 'best\/', serialization v3, 358 storages\)$/m);
    expect(r.stdout).toMatch(/^classes\s+4: duckie, cone, truck, bus$/m);
    expect(r.stdout).toMatch(/^architecture\s+nc 4, depth 0\.33, width 0\.25$/m);
    expect(r.stdout).toMatch(/^parameters\s+1,769,329 /m);
    expect(r.stdout).toMatch(/^train run\s+name exp, .*imgsz 416, epochs 10$/m);
  });

  it.skipIf(!hasAssets)('prints one JSON object with --json', async () => {
    const r = await runCli(['inspect', asset('ultralytics', 'yolo11n.pt'), '--json']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout) as CheckpointSummary;
    expect(s.schemaVersion).toBe(1);
    expect(s.parameters.count).toBe(2_624_080);
    expect(s.names[79]).toBe('toothbrush');
    expect(s.classes.map((c) => c.className)).toContain('ultralytics.nn.modules.block.C2PSA');
  });

  it('fails with one line for a hostile checkpoint, an LFS pointer and a missing file', async () => {
    const hostile = join(dir, 'hostile.pt');
    writeFileSync(hostile, P.torchZip(P.pickleBytes(P.proto(2), P.global('builtins', 'eval'), P.str('1+1'), P.TUPLE1, P.REDUCE, P.STOP)));
    const lfs = join(dir, 'lfs.pt');
    writeFileSync(lfs, 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 1\n');
    const expected: Array<[string, RegExp]> = [
      [hostile, /^edgeopt: error: .*hostile\.pt: checkpoint uses disallowed global 'builtins\.eval' \(edgeopt never runs code from a checkpoint\)\n$/],
      [lfs, /^edgeopt: error: .*lfs\.pt is a Git LFS pointer/],
      [join(dir, 'missing.pt'), /^edgeopt: error: cannot read checkpoint .*missing\.pt: no such file\n$/],
    ];
    for (const [path, pattern] of expected) {
      const r = await runCli(['inspect', path, '--json']);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
