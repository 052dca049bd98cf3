import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { findModel, moduleAttr, moduleChildren, pyGet, readCheckpoint, type Checkpoint } from '../../src/pt/checkpoint.js';
import type { PyDict, PyValue } from '../../src/pt/types.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

/** The yaml row list of a checkpoint's model ('backbone' or 'head'), as the mutable pickled lists. */
function yamlRows(checkpoint: Checkpoint, part: 'backbone' | 'head'): PyValue[][] {
  return pyGet(moduleAttr(findModel(checkpoint.root), 'yaml'), part) as PyValue[][];
}

/**
 * yolov5n.pt with its SPPF layer renamed SPPG (class and yaml entry, same length so the stored zip entry keeps
 * its layout): a checkpoint whose classes are all allowed but one of which edgeopt cannot convert.
 */
function checkpointWithUnknownBlock(): Buffer {
  const bytes = Buffer.from(readFileSync(asset('models', 'yolov5n.pt')));
  const patch = (from: string, to: string) => {
    const at = bytes.indexOf(Buffer.from(from, 'latin1'));
    if (at < 0) throw new Error(`pattern ${JSON.stringify(from)} not in yolov5n.pt`);
    bytes.write(to, at, 'latin1');
  };
  patch('\nSPPF\n', '\nSPPG\n'); // the GLOBAL models.common.SPPF
  patch('X\x04\x00\x00\x00SPPF', 'X\x04\x00\x00\x00SPPG'); // the yaml's module name
  return bytes;
}

describe.skipIf(!hasAssets)('convert: bad input is one clear error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgeopt-convert-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names an unknown module class', async () => {
    expect(() => convertCheckpoint(readCheckpoint(checkpointWithUnknownBlock()))).toThrow(
      /unsupported module class 'models\.common\.SPPG' at layer 9/,
    );
  });

  it('names the layer whose weights do not have the shape the yaml implies', async () => {
    const checkpoint = readCheckpoint(asset('models', 'yolov5n.pt'));
    yamlRows(checkpoint, 'backbone')[1]![3] = [96, 3, 2]; // layer 1: Conv to 96·0.25 = 24 channels, weights have 32
    expect(() => convertCheckpoint(checkpoint)).toThrow(
      "layer 1 (Conv) model.1: 'model.1.conv.weight' has shape [32,16,3,3] but the yaml implies [24,16,3,3]",
    );
  });

  it('says which layer disagrees with the yaml', async () => {
    const checkpoint = readCheckpoint(asset('ultralytics', 'yolov8n.pt'));
    yamlRows(checkpoint, 'backbone')[2]![2] = 'C3';
    expect(() => convertCheckpoint(checkpoint)).toThrow(/layer 2 is a 'ultralytics\.nn\.modules\.block\.C2f' but the yaml says 'C3'/);
  });

  it('notices a Conv whose activation is not the one the architecture implies', async () => {
    const checkpoint = readCheckpoint(asset('models', 'yolov5n.pt'));
    const layers = moduleChildren(findModel(checkpoint.root)).get('model')!;
    const first = moduleChildren(layers).get('0')!;
    const modules = moduleAttr(first, '_modules') as PyDict;
    const act = modules.entries.find(([name]) => name === 'act')!;
    act[1] = { kind: 'object', className: 'torch.nn.modules.linear.Identity', args: [], state: { kind: 'dict', entries: [] } };
    expect(() => convertCheckpoint(checkpoint)).toThrow("layer 0 (Conv) model.0: the checkpoint's activation is identity where the architecture has silu");
  });

  it('refuses heads other than Detect', async () => {
    const checkpoint = readCheckpoint(asset('ultralytics', 'yolov5nu.pt'));
    const layers = moduleChildren(findModel(checkpoint.root)).get('model')!;
    const head = [...moduleChildren(layers).values()].pop()!;
    head.className = 'ultralytics.nn.modules.head.Segment';
    expect(() => convertCheckpoint(checkpoint)).toThrow(/last layer is 'ultralytics\.nn\.modules\.head\.Segment', not a YOLOv5 or Ultralytics Detect head/);
  });

  it('CLI: an unknown module, a bad --imgsz, a bad --opset or a non-checkpoint fail in one line with no output file', async () => {
    const unknown = join(dir, 'sppg.pt');
    writeFileSync(unknown, checkpointWithUnknownBlock());
    const out = join(dir, 'out.onnx');
    const cases: Array<[string[], RegExp]> = [
      [[unknown], /unsupported module class 'models\.common\.SPPG' at layer 9/],
      [[asset('models', 'yolov5n.pt'), '--imgsz', '300'], /imgsz 300x300 is invalid: each side must be a multiple of the model's max stride 32/],
      [[asset('models', 'yolov5n.pt'), '--opset', '9'], /--opset must be an integer from 12 to 21/],
      [[asset('images', 'bus.jpg')], /not a PyTorch checkpoint/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['convert', ...args, '-o', out]);
      expect(result.status, result.stderr).not.toBe(0);
      const lines = result.stderr.split('\n').filter((l) => l.startsWith('edgeopt: error:'));
      expect(lines, result.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }
  });
});
