/**
 * `npm run bench:zoo`: every quantization mode on every zoo model and on the study's models, measured.
 * - fidelity: each variant's outputs against the FP32 model's on bus.jpg (contract preprocessing), cosine and SQNR;
 *   outputs after NMS/top-k are compared through the selection op's inputs;
 * - calibration memory: peak RSS of a fresh process calibrating on 16 and on 128 coco128 images (must stay flat);
 * - the YOLOv10n paradox: 1-thread latency of the dynamic INT8 file against its dequantized FP32 rebuild and a static
 *   INT8 of that rebuild, side by side in rotated rounds of fresh processes.
 * Usage: tsx test/bench/zoo-quantize.ts [--only fidelity|memory|latency] [--calib N] [--runs N]
 *        [--memory-images FEW,MANY (default 16,128)] [--models a,b (memory: zoo names, 'yolov5n (converted .pt)', yolov5nu_fp32)]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeQuantization } from '../../src/analyze/quantized.js';
import { benchmarkModels } from '../../src/bench/index.js';
import { convertFile } from '../../src/convert/convert.js';
import { loadModel, saveModel } from '../../src/onnx/model-io.js';
import type { LoadedModel } from '../../src/onnx/types.js';
import { YOLO_CALIBRATION_PREPROCESSING, augmentWithOutputs, defaultFeedBuilder, type FeedBuilder } from '../../src/quantize/calibrate/index.js';
import { dequantizeModel } from '../../src/quantize/dequantize/index.js';
import { quantizeDynamic } from '../../src/quantize/dynamic.js';
import { convertToFloat16 } from '../../src/quantize/fp16.js';
import { calibrateStatic, quantizeStatic } from '../../src/quantize/static/index.js';
import { asset } from '../helpers/assets.js';
import { ZOO_MODELS, hasZoo, zooModel, type ZooModel } from '../helpers/zoo.js';
import { comparedTensors, fidelity, runFeeds, zooFeeds } from '../helpers/zoo-feeds.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const COCO128 = asset('coco128', 'images');

interface Subject {
  name: string;
  path: string;
  feeds: (model: LoadedModel) => FeedBuilder;
}

async function subjects(dir: string): Promise<Subject[]> {
  const yolo = (model: LoadedModel) => defaultFeedBuilder(model, YOLO_CALIBRATION_PREPROCESSING, []);
  const converted = join(dir, 'yolov5n.onnx');
  await convertFile(asset('models', 'yolov5n.pt'), converted);
  return [
    ...ZOO_MODELS.map((name) => ({ name, path: zooModel(name), feeds: (m: LoadedModel) => zooFeeds(name as ZooModel, m) })),
    { name: 'yolov5n (converted .pt)', path: converted, feeds: yolo },
    { name: 'yolov5nu_fp32', path: asset('models', 'yolov5nu_fp32.onnx'), feeds: yolo },
    { name: 'yolov5nu_int8_dynamic_published', path: asset('models', 'yolov5nu_int8_dynamic_published.onnx'), feeds: yolo },
  ];
}

/** min cosine and min SQNR over the compared tensors. */
async function compare(reference: LoadedModel, variant: LoadedModel, feeds: FeedBuilder): Promise<string> {
  const record = await feeds.build(asset('images', 'bus.jpg'));
  const tensors = comparedTensors(reference);
  const [a, b] = [await runFeeds(augmentWithOutputs(reference, tensors), record), await runFeeds(augmentWithOutputs(variant, tensors), record)];
  let cos = 1;
  let sqnr = Infinity;
  for (const t of tensors) {
    const f = fidelity(a[t]!.data, b[t]!.data);
    cos = Math.min(cos, f.cosine);
    sqnr = Math.min(sqnr, f.sqnrDb);
  }
  return `cos ${cos.toFixed(4)}, SQNR ${sqnr.toFixed(1)} dB`;
}

async function fidelityTable(dir: string): Promise<void> {
  const limit = Number(arg('--calib') ?? 8);
  console.log(`\nfidelity vs FP32 on bus.jpg (min over compared outputs; static INT8 calibrated on ${limit} coco128 images)`);
  console.log('| model | quantized as | dynamic INT8 | static INT8 | FP16 |');
  console.log('|---|---|---|---|---|');
  for (const s of await subjects(dir)) {
    const original = await loadModel(s.path);
    const how = describeQuantization(original.graph);
    let fp32 = original;
    let prefix = 'float';
    if (how.schemes.length > 0) {
      fp32 = dequantizeModel(original).model;
      prefix = `${how.description}; dequantized FP32 vs it: ${await compare(original, fp32, s.feeds(original))}`;
    }
    const feeds = s.feeds(fp32);
    const cell = async (make: () => Promise<LoadedModel>) => {
      try {
        return await compare(fp32, await make(), feeds);
      } catch (err) {
        return `FAILED: ${(err as Error).message.slice(0, 120)}`;
      }
    };
    const dynamic = await cell(async () => quantizeDynamic(fp32).model);
    const stat = await cell(async () => (await quantizeStatic(fp32, { calibration: { imageDir: COCO128, limit, feeds } })).model);
    const fp16 = await cell(async () => convertToFloat16(fp32).model);
    console.log(`| ${s.name} | ${prefix} | ${dynamic} | ${stat} | ${fp16} |`);
  }
}

/** Child mode: calibrate one model on N images and print the peak RSS. */
async function calibrationChild(path: string, name: string, images: number): Promise<void> {
  const original = await loadModel(path);
  const model = describeQuantization(original.graph).schemes.length ? dequantizeModel(original).model : original;
  const feeds = ZOO_MODELS.includes(name as ZooModel) ? zooFeeds(name as ZooModel, model) : defaultFeedBuilder(model, YOLO_CALIBRATION_PREPROCESSING, []);
  const before = process.resourceUsage().maxRSS / 1024;
  const data = await calibrateStatic(model, { imageDir: COCO128, limit: images, feeds });
  process.stdout.write(`${JSON.stringify({ tensors: data.stats.size, seconds: data.seconds, beforeMb: before, peakMb: process.resourceUsage().maxRSS / 1024 })}\n`);
}

async function memoryTable(dir: string): Promise<void> {
  const [few, many] = (arg('--memory-images') ?? '16,128').split(',').map(Number) as [number, number];
  const names = arg('--models')?.split(',');
  console.log('\ncalibration peak RSS (fresh process per run; the model is loaded before calibration starts)');
  console.log('(growth = peak − RSS before: what calibration itself holds; flat means the ratio stays near 1 as images grow)');
  console.log(`| model | tensors | RSS before | peak, ${few} images | peak, ${many} images | peak ${many} / ${few} | growth ${few} → ${many} | s / image (${many}) |`);
  console.log('|---|---:|---:|---:|---:|---:|---|---:|');
  for (const s of (await subjects(dir)).filter((x) => !x.name.startsWith('yolov5nu_int8') && (!names || names.includes(x.name)))) {
    const run = (n: number) => {
      const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child-calib', s.path, s.name, String(n)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      const line = child.stdout.trim().split('\n').pop() ?? '';
      if (child.status !== 0 || !line.startsWith('{')) throw new Error(`${s.name} ${n}: ${child.stderr.trim().split('\n').pop()}`);
      return JSON.parse(line) as { tensors: number; seconds: number; beforeMb: number; peakMb: number };
    };
    try {
      const [small, large] = [run(few), run(many)];
      const growth = (r: typeof small) => r.peakMb - r.beforeMb;
      console.log(`| ${s.name} | ${large.tensors} | ${large.beforeMb.toFixed(0)} MB | ${small.peakMb.toFixed(0)} MB | ${large.peakMb.toFixed(0)} MB | x${(large.peakMb / small.peakMb).toFixed(2)} | ${growth(small).toFixed(0)} → ${growth(large).toFixed(0)} MB | ${(large.seconds / many).toFixed(2)} |`);
    } catch (err) {
      console.log(`| ${s.name} | FAILED: ${(err as Error).message.slice(0, 200)} | | | | | | |`);
    }
  }
}

async function latencyTable(dir: string): Promise<void> {
  const int8 = zooModel('yolov10n_int8_640');
  const original = await loadModel(int8);
  const fp32 = dequantizeModel(original).model;
  const fp32Path = join(dir, 'yolov10n_fp32.onnx');
  await saveModel(fp32, fp32Path);
  const staticPath = join(dir, 'yolov10n_static.onnx');
  await saveModel((await quantizeStatic(fp32, { calibration: { imageDir: COCO128, limit: 32, feeds: zooFeeds('yolov10n_int8_640', fp32) } })).model, staticPath);
  const runs = Number(arg('--runs') ?? 40);
  const results = await benchmarkModels([int8, fp32Path, staticPath], { scenarios: ['controlled'], runs, warmup: 5, rounds: 3 });
  const p50 = results.map((r) => r.stats?.p50Ms ?? NaN);
  console.log(`\nYOLOv10n at 1 thread (controlled), ${runs} runs in 3 rotated rounds of fresh processes; the machine was shared`);
  const label = ['zoo file (dynamic INT8)', 'dequantized FP32', 'static INT8 of the FP32 rebuild'];
  results.forEach((r, i) => console.log(`  ${label[i]!.padEnd(32)} p50 ${p50[i]!.toFixed(1)} ms (95% CI ${r.stats?.medianCi95.map((v) => v.toFixed(1)).join('–')}) → ${(p50[0]! / p50[i]!).toFixed(2)}x the dynamic INT8 speed`));
}

const child = process.argv.indexOf('--child-calib');
if (child >= 0) {
  await calibrationChild(process.argv[child + 1]!, process.argv[child + 2]!, Number(process.argv[child + 3]));
} else if (!hasZoo) {
  console.log('zoo bench skipped: ../shared/assets/zoo is not here');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'edgeopt-zoo-bench-'));
  try {
    const only = arg('--only');
    if (!only || only === 'fidelity') await fidelityTable(dir);
    if (!only || only === 'memory') await memoryTable(dir);
    if (!only || only === 'latency') await latencyTable(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
