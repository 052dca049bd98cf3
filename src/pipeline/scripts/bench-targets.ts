/**
 * `npm run bench` (part 2): the issue's speed and accuracy targets, measured end to end with the
 * same pipeline users run. For the study's YOLOv5nu and for YOLOv5n converted from its .pt:
 * static INT8 must be ≥ 1.8x faster than FP32 at 1 thread with mAP50-95 within 0.5 points, and
 * calibration on 128 images must take under a minute. Every ratio is measured side by side in one run.
 * Usage: node dist/pipeline/scripts/bench-targets.js [--runs N] [--out DIR] [--only yolov5nu|yolov5n]
 */
import { join, resolve } from 'node:path';
import { machineProvenance } from '../../bench/provenance.js';
import type { RunResults } from '../../results/schema.js';
import { sharedAsset } from '../../util/assets.js';
import { stderrProgress } from '../../util/progress.js';
import { runPipeline } from '../run.js';

const TARGET_SPEEDUP = 1.8;
const TARGET_MAP_DROP = 0.5;
const TARGET_CALIBRATION_S = 60;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const f = (v: number, d = 2) => v.toFixed(d);

function calibrationSeconds(results: RunResults): number | undefined {
  for (const v of results.variants) {
    const seconds = (v.build?.details as { static?: { calibration?: { seconds?: number } } } | undefined)?.static?.calibration?.seconds;
    if (seconds !== undefined) return seconds;
  }
  return undefined;
}

function summarize(label: string, results: RunResults): boolean {
  const fp32 = results.variants.find((v) => v.name === 'fp32')!;
  const base1 = fp32.benchmarks.controlled?.p50Ms;
  const baseN = fp32.benchmarks.practical?.p50Ms;
  const baseMap = fp32.accuracy?.map50_95;
  console.log(`\n${label}: ${results.model.name}`);
  console.log(`  ${'variant'.padEnd(22)} ${'MB'.padStart(6)} ${'1-thr p50'.padStart(10)} ${'speed-up'.padStart(8)} ${`${fp32.benchmarks.practicalThreads ?? '?'}-thr p50`.padStart(10)} ${'speed-up'.padStart(8)} ${'mAP50-95'.padStart(9)} ${'Δ pts'.padStart(6)}`);
  let best: { name: string; speedup: number; drop: number } | undefined;
  for (const v of results.variants) {
    const c = v.benchmarks.controlled?.p50Ms;
    const p = v.benchmarks.practical?.p50Ms;
    const map = v.accuracy?.map50_95;
    const drop = map !== undefined && baseMap !== undefined ? (baseMap - map) * 100 : undefined;
    const speedup = c && base1 ? base1 / c : undefined;
    console.log(
      `  ${v.name.padEnd(22)} ${f(v.sizeBytes / 1e6).padStart(6)} ${(c ? `${f(c, 1)} ms` : '–').padStart(10)} ${(speedup ? `${f(speedup)}x` : '–').padStart(8)} ${(p ? `${f(p, 1)} ms` : '–').padStart(10)} ${(p && baseN ? `${f(baseN / p)}x` : '–').padStart(8)} ${(map !== undefined ? f(map * 100) : '–').padStart(9)} ${(drop !== undefined ? f(-drop) : '–').padStart(6)}`,
    );
    if (v.name.startsWith('int8-static') && speedup && drop !== undefined && drop <= TARGET_MAP_DROP && (!best || speedup > best.speedup)) {
      best = { name: v.name, speedup, drop };
    }
  }
  const calib = calibrationSeconds(results);
  if (calib !== undefined) console.log(`  calibration: ${f(calib, 1)} s for ${results.settings.calibData} (target < ${TARGET_CALIBRATION_S} s) → ${calib < TARGET_CALIBRATION_S ? 'met' : 'MISSED'}`);
  if (best) {
    const met = best.speedup >= TARGET_SPEEDUP;
    console.log(`  best static INT8 within ${TARGET_MAP_DROP} mAP points: ${best.name}, ${f(best.speedup)}x faster than FP32 at 1 thread, ${f(-best.drop)} points → speed target (${TARGET_SPEEDUP}x) ${met ? 'met' : 'MISSED'}`);
    return met && (calib === undefined || calib < TARGET_CALIBRATION_S);
  }
  console.log(`  no static INT8 variant within ${TARGET_MAP_DROP} mAP points → target MISSED`);
  return false;
}

async function main(): Promise<number> {
  const models: Array<[string, string | undefined]> = [
    ['yolov5nu', sharedAsset('models', 'yolov5nu_fp32.onnx')],
    ['yolov5n', sharedAsset('models', 'yolov5n.pt')],
  ];
  const only = arg('--only');
  const runs = Number(arg('--runs') ?? 60);
  const out = resolve(arg('--out') ?? 'bench-out');
  const machine = machineProvenance();
  console.log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.isa.flags.join(' ')}; ${machine.runtime.name} ${machine.runtime.version}`);
  let ok = true;
  for (const [label, path] of models) {
    if (only && only !== label) continue;
    if (!path) {
      console.log(`\n${label}: skipped (shared assets not found)`);
      continue;
    }
    const results = await runPipeline({
      model: path,
      outDir: join(out, label),
      runs,
      rounds: 3,
      scenarios: ['controlled', 'practical'],
      variants: ['int8-dynamic', 'fp16', 'int8-static-full', 'int8-static-headconv'],
      progress: stderrProgress(),
    });
    ok = summarize(label, results) && ok;
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench-targets: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
