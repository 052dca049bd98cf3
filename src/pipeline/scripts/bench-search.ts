/**
 * `npm run bench:search`: the INT8 search's targets (issue 11), measured with the same code users run
 * (`quantize --mode auto`). Per model: the search's verdict, its chosen candidate's 1-thread and practical
 * speed-up over FP32 (measured side by side in the search's own verification run: isolated processes, rotated
 * rounds), the paired mAP50-95 drop with its 95% bootstrap interval on coco_val128, and the search's time.
 * Targets: YOLOv5nu ≥ 2.1x at a drop ≤ 0.3; YOLOv5n (converted from .pt) ≥ 1.7x at ≤ 0.5; every zoo model never
 * slower than FP32 (the search keeps FP32 and says why); each search within its budget (10 min).
 * Run it alone on the machine (under `flock /work/bench.lock` where several people share one).
 * Usage: tsx src/pipeline/scripts/bench-search.ts [--only yolov5nu,yolov5n,zoo] [--budget-min 10] [--out DIR]
 */
import { mkdir, readdir, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { convertFile } from '../../convert/convert.js';
import { sharedAsset } from '../../util/assets.js';
import { stderrProgress } from '../../util/progress.js';
import { autoQuantizeFile, type AutoQuantizeFileResult } from '../auto-quantize.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Target {
  label: string;
  model: string;
  maxDrop: number;
  minSpeedup?: number;
  eval: boolean;
}

async function main(): Promise<void> {
  const out = resolve(arg('--out') ?? 'bench-search-out');
  const only = (arg('--only') ?? 'yolov5nu,yolov5n,zoo').split(',');
  const budgetMin = Number(arg('--budget-min') ?? 10);
  const calib = sharedAsset('coco128', 'images');
  const evalData = sharedAsset('coco_val128');
  if (!calib || !evalData) throw new Error('bench:search needs ../shared/assets (coco128, coco_val128)');
  await mkdir(out, { recursive: true });
  const targets: Target[] = [];
  if (only.includes('yolov5nu')) targets.push({ label: 'YOLOv5nu', model: sharedAsset('models', 'yolov5nu_fp32.onnx')!, maxDrop: 0.3, minSpeedup: 2.1, eval: true });
  if (only.includes('yolov5n')) {
    const onnx = join(out, 'yolov5n.onnx');
    await convertFile(sharedAsset('models', 'yolov5n.pt')!, onnx);
    targets.push({ label: 'YOLOv5n (.pt)', model: onnx, maxDrop: 0.5, minSpeedup: 1.7, eval: true });
  }
  if (only.includes('zoo')) {
    const zoo = sharedAsset('zoo')!;
    for (const f of (await readdir(zoo)).filter((f) => f.endsWith('.onnx') && !f.includes('int8')).sort()) {
      targets.push({ label: `zoo ${f}`, model: join(zoo, f), maxDrop: 0.5, eval: false });
    }
  }
  // Zoo models have their own preprocessing and no COCO decoder here: they are judged on output SQNR, on a
  // small calibration set, and what matters is that a slower INT8 model is never written.
  const smallCalib = join(out, 'calib32');
  await mkdir(smallCalib, { recursive: true });
  for (const f of (await readdir(calib)).sort().slice(0, 32)) await symlink(join(calib, f), join(smallCalib, f)).catch(() => undefined);
  const rows: string[] = [];
  let met = true;
  for (const t of targets) {
    process.stderr.write(`\n=== ${t.label}: ${t.model}\n`);
    const start = performance.now();
    let r: AutoQuantizeFileResult;
    try {
      r = await autoQuantizeFile(t.model, join(out, `${t.label.replace(/[^a-z0-9]+/gi, '_')}.int8.onnx`), {
        calib: t.eval ? calib : smallCalib,
        evalData: t.eval ? evalData : undefined,
        maxDrop: t.maxDrop,
        budgetMs: budgetMin * 60_000,
        progress: stderrProgress(),
      });
    } catch (err) {
      rows.push(`| ${t.label} | error | ${(err as Error).message.split('\n')[0]} | | | | |`);
      met = false;
      continue;
    }
    const s = r.search;
    const minutes = (performance.now() - start) / 60_000;
    const c = s.chosen;
    const practical = c?.latency.practicalP50Ms && s.fp32.practicalP50Ms ? `${(s.fp32.practicalP50Ms / c.latency.practicalP50Ms).toFixed(2)}x` : '–';
    const drop = c?.accuracy ? `${c.accuracy.drop.toFixed(2)} [${c.accuracy.ci[0].toFixed(2)}, ${c.accuracy.ci[1].toFixed(2)}]` : c ? 'not measured (SQNR only)' : '–';
    const ok = s.verdict === 'found'
      ? (t.minSpeedup === undefined || c!.speedup >= t.minSpeedup) && (!c!.accuracy || c!.accuracy.drop <= t.maxDrop)
      : t.minSpeedup === undefined; // a zoo model may keep FP32; YOLO targets need an INT8 model
    if (!ok || minutes > budgetMin * 1.25) met = false;
    rows.push(`| ${t.label} | ${s.verdict === 'found' ? 'INT8' : 'FP32 kept'} | ${c ? `${c.speedup.toFixed(2)}x (${c.latency.p50Ms.toFixed(1)} vs ${s.fp32.p50Ms.toFixed(1)} ms)` : s.reason} | ${practical} | ${drop} | ${minutes.toFixed(1)} min | ${ok ? 'met' : 'MISSED'} |`);
  }
  console.log('\n| model | result | 1-thread speed-up | practical | mAP50-95 drop [95% CI] | search time | target |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  process.exitCode = met ? 0 : 1;
}

await main();
