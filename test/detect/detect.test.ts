import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';
import { makeGraph, makeModel, makeNode, makeValueInfo } from '../../src/onnx/builder.js';
import { saveModel } from '../../src/onnx/model-io.js';
import { DataType } from '../../src/onnx/types.js';
import { annotationSvg, classColor, textColorOn } from '../../src/detect/annotate.js';
import { runDetect, type DetectReport } from '../../src/detect/run.js';

const MODEL = asset('models', 'yolov5nu_fp32.onnx');
const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;

describe('annotate', () => {
  it('gives stable, distinct class colours and escapes labels', async () => {
    // Golden-angle hues: class 0 is hsl(18°, 85%, 50%), odd classes a darker 42% lightness.
    expect(classColor(0)).toBe('#ec5413');
    expect(classColor(1)).toBe('#1210c6');
    expect(new Set(Array.from({ length: 20 }, (_, i) => classColor(i))).size).toBe(20);
    expect(textColorOn('#ffffff')).toBe('#000000');
    const svg = annotationSvg(100, 50, [{ classId: 1, score: 0.5, box: [10, 10, 40, 40] }], { names: ['a', '<b&c>'], caption: ['12.0 ms'] });
    expect(svg).toContain('&lt;b&amp;c&gt; 0.50');
    expect(svg).toContain('12.0 ms');
    expect(svg).toMatch(/^<svg [^>]*width="100" height="50"/);
  });
});

describe.skipIf(!hasAssets)('runDetect and edgeopt detect', () => {
  let dir: string;
  let input: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeopt-detect-'));
    input = join(dir, 'in');
    await mkdir(input);
    await copyFile(asset('images', 'bus.jpg'), join(input, 'bus.jpg'));
    await writeFile(join(input, 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('annotates each image of a folder, records a corrupt one as failed and keeps going', async () => {
    // The output folder is inside the input folder: a second run must not pick up the annotated copies.
    const out = join(input, 'annotated');
    await runDetect(MODEL, input, { outDir: out });
    const report = await runDetect(MODEL, input, { outDir: out });
    expect(report.images).toHaveLength(1);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]!.file).toMatch(/broken\.jpg$/);
    expect(report.failures[0]!.error).toMatch(/cannot decode image/);
    const bus = report.images[0]!;
    expect(bus).toMatchObject({ width: 810, height: 1080, output: join(out, 'bus.jpg') });
    expect(bus.detections.filter((d) => d.name === 'person').length).toBeGreaterThanOrEqual(3);
    expect(bus.detections.some((d) => d.name === 'bus' && d.score > 0.7)).toBe(true);
    const written = JSON.parse(await readFile(join(out, 'detections.json'), 'utf8')) as DetectReport;
    expect(written.images[0]!.detections).toEqual(bus.detections);
    const meta = await sharp(join(out, 'bus.jpg')).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([810, 1080, 'jpeg']);
    await rm(out, { recursive: true });
  });

  it('CLI: exits non-zero when a file failed, naming it, and prints results for the others', async () => {
    const r = await runCli(['detect', MODEL, input, '-o', join(dir, 'out-cli'), '--json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/broken\.jpg: cannot decode image/);
    const report = JSON.parse(r.stdout) as DetectReport;
    expect(report.images).toHaveLength(1);
    expect(report.conf).toBe(0.25);
  });

  it('CLI: converts a .pt model on the fly and finds the bus and the people', async () => {
    const pt = await runCli(['detect', asset('models', 'yolov5n.pt'), join(input, 'bus.jpg'), '-o', join(dir, 'pt'), '--json']);
    expect(pt.status).toBe(0);
    const report = JSON.parse(pt.stdout) as DetectReport;
    const names = report.images[0]!.detections.map((d) => d.name);
    expect(names).toContain('bus');
    expect(names.filter((n) => n === 'person').length).toBeGreaterThanOrEqual(3);
  });

  it('CLI: clear messages for a missing input and a model that is not a detector', async () => {
    const missing = await runCli(['detect', MODEL, join(dir, 'nope.jpg'), '-o', join(dir, 'x')]);
    expect(missing.stderr).toMatch(/edgeopt: error: input not found/);
    const notDetector = join(dir, 'pool.onnx');
    const graph = makeGraph({
      node: [makeNode('GlobalAveragePool', ['images'], ['pooled'])],
      input: [makeValueInfo('images', DataType.FLOAT, [1, 3, 64, 64])],
      output: [makeValueInfo('pooled', DataType.FLOAT, [1, 3, 1, 1])],
    });
    await saveModel(makeModel(graph, { opset: 13 }), notDetector);
    const bad = await runCli(['detect', notDetector, join(input, 'bus.jpg'), '-o', join(dir, 'x')]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/no known decoder reads outputs \[1,3,1,1\]: pass --decoder/);
    expect(bad.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'))).toHaveLength(1);
  });

  it('CLI: eval --json prints one object with the metrics', async () => {
    const r = await runCli(['eval', MODEL, '--data', asset('coco_val128'), '--max-images', '4', '--json']);
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const key of ['images', 'map50', 'map50_95', 'precision', 'recall', 'perClass']) expect(result).toHaveProperty(key);
    expect(result.images).toBe(4);
    const bad = await runCli(['eval', MODEL, '--data', asset('coco_val128'), '--conf', '2']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--conf must be a number from 0 to 1/);
  });

  it('says in one line when ffmpeg is missing', async () => {
    const r = await runCli(['detect', MODEL, asset('video', 'car-detection.mp4'), '-o', join(dir, 'v0')], {
      env: { EDGEOPT_FFMPEG: '/nonexistent/ffmpeg' },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ffmpeg not found .*apt-get install -y ffmpeg/);
  });

  it.skipIf(!hasFfmpeg)('annotates a video through ffmpeg pipes, with a latency/FPS summary', async () => {
    const out = join(dir, 'video');
    const report = await runDetect(MODEL, asset('video', 'car-detection.mp4'), { outDir: out, maxFrames: 6 });
    expect(report.failures).toEqual([]);
    const video = report.videos[0]!;
    expect(video).toMatchObject({ frames: 6, width: 768, height: 432, output: join(out, 'car-detection.mp4') });
    expect(video.latencyMs.p95).toBeGreaterThanOrEqual(video.latencyMs.p50);
    expect(video.fps).toBeGreaterThan(0);
    expect(video.perFrame).toHaveLength(6);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=nb_read_frames,width', '-of', 'csv=p=0', video.output], { encoding: 'utf8' });
    expect(probe.stdout.trim()).toBe('768,6');
  });

  it.skipIf(!hasFfmpeg)('reports a video ffmpeg cannot decode, per file', async () => {
    const fake = join(dir, 'fake.mp4');
    await writeFile(fake, 'this is not a video');
    const report = await runDetect(MODEL, fake, { outDir: join(dir, 'v1') });
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]!.error).toMatch(/ffmpeg cannot decode video .*fake\.mp4/);
  });
});
