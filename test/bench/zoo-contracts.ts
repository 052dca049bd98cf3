/**
 * `npm run bench:contracts`: issue 10's targets on every zoo model, measured through edgeopt's own commands.
 * - detect: FP32 detections on bus.jpg (edgeopt detect's path, its default resize) against the zoo README's list;
 * - accuracy: mAP50-95 / mAP50 on all of coco_val128 (edgeopt eval's path, with the FP32 sanity check) next to the
 *   family's published val2017 figure (a 128-image subset: expect a few points of spread, not equality);
 * - run: `edgeopt run --model <zoo file>` as a new user types it (no flags), and again with the flags the README
 *   gives where the file itself does not say enough; per run ok/failed, the variants produced, accuracy status,
 *   fidelity per variant, selection; then the FP32 file each run wrote, with no flags (its contract travels in its
 *   metadata): bus.jpg against the README and mAP on all of coco_val128 next to the published val2017 figure.
 *   Exits non-zero when any run failed.
 * Calibration memory in the number of images is `npm run bench:zoo -- --only memory`.
 * Run it under `flock /work/bench.lock` (run benchmarks every variant). The machine may be shared: latencies
 * printed here are context, not targets.
 * Usage: tsx test/bench/zoo-contracts.ts [--only detect|accuracy|run] [--runs N] [--models a,b] [--keep]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseContractFlags } from '../../src/eval/contract/flags.js';
import { evaluateModel } from '../../src/eval/evaluate.js';
import { runDetect } from '../../src/detect/run.js';
import type { RunResults } from '../../src/results/schema.js';
import { asset, REPO_ROOT } from '../helpers/assets.js';
import { detectWithContract } from '../helpers/contract-run.js';
import { hasZoo, zooModel, type ZooModel } from '../helpers/zoo.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

const FASTEST = {
  preprocess: 'resize=stretch,color=bgr',
  decoder: 'yolo-anchors,anchors=12.64:19.39:37.88:51.48:55.71:138.31/126.91:78.23:131.57:214.55:279.92:258.87',
};

interface Subject {
  name: ZooModel;
  /** The flags the zoo README's conventions come to, where the file does not say enough (else none). */
  flags: { preprocess?: string; decoder?: string };
  /** README: bus.jpg detections (class id, score) at its threshold. */
  conf: number;
  bus: Array<[number, number]>;
  /** The family's published COCO val2017 figure (%), and where it is from. */
  published: { map50_95?: number; map50?: number; source: string };
}

const SUBJECTS: Subject[] = [
  { name: 'yolov10n_int8_640', flags: {}, conf: 0.25, bus: [[5, 0.947], [0, 0.913], [0, 0.908], [0, 0.861], [0, 0.385]], published: { map50_95: 38.5, source: 'YOLOv10-N FP32, THU-MIG README (this file is dynamic INT8)' } },
  { name: 'picodet_s_320', flags: {}, conf: 0.3, bus: [[0, 0.927], [5, 0.921], [0, 0.826], [0, 0.677], [0, 0.383]], published: { map50_95: 27.1, map50: 41.4, source: 'PaddleDetection legacy model zoo (2021.10)' } },
  { name: 'picodet_xs_nms_320', flags: {}, conf: 0.3, bus: [[0, 0.896], [5, 0.896], [0, 0.862], [0, 0.602]], published: { map50_95: 23.5, map50: 36.1, source: 'PaddleDetection PP-PicoDet benchmark' } },
  { name: 'yolofastestv2_352', flags: FASTEST, conf: 0.3, bus: [[0, 0.949], [5, 0.851], [0, 0.774], [0, 0.347]], published: { map50: 23.56, source: 'dog-qiuqiu/Yolo-FastestV2 README (mAP50 only)' } },
  { name: 'yolofastestv2_merged_352', flags: FASTEST, conf: 0.3, bus: [[0, 0.949], [5, 0.851], [0, 0.774], [0, 0.347]], published: { map50: 23.56, source: 'as above (same weights)' } },
  { name: 'yolov5lite_e_320', flags: { preprocess: 'resize=stretch', decoder: 'yolo-anchors' }, conf: 0.25, bus: [[0, 0.823], [0, 0.816], [5, 0.788], [0, 0.719], [0, 0.336], [0, 0.316]], published: { map50: 35.1, source: 'ppogg/YOLOv5-Lite README (mAP50 only)' } },
];

const pct = (x: number | undefined) => (x === undefined ? '–' : (100 * x).toFixed(1));
const flagText = (f: Subject['flags']) => [f.preprocess ? `--preprocess ${f.preprocess}` : '', f.decoder ? `--decoder ${f.decoder.replace(/anchors=.*/, 'anchors=…')}` : ''].filter(Boolean).join(' ') || '(none)';

/** Greedy match of detections to the README's list by class, in score order: matched count and worst score gap. */
function compareToReadme(got: Array<[number, number]>, want: Array<[number, number]>): { matched: number; extra: number; worstGap: number } {
  const left = [...got].sort((a, b) => b[1] - a[1]);
  let matched = 0;
  let worstGap = 0;
  for (const [cls, score] of [...want].sort((a, b) => b[1] - a[1])) {
    let best = -1;
    for (let i = 0; i < left.length; i++) if (left[i]![0] === cls && (best < 0 || Math.abs(left[i]![1] - score) < Math.abs(left[best]![1] - score))) best = i;
    if (best < 0) continue;
    matched++;
    worstGap = Math.max(worstGap, Math.abs(left[best]![1] - score));
    left.splice(best, 1);
  }
  return { matched, extra: left.length, worstGap };
}

async function detectTable(subjects: Subject[], dir: string): Promise<void> {
  console.log('\nFP32 detections on bus.jpg (edgeopt detect, its default resize; the README measured with sharp\'s linear resize)');
  console.log('(last column: the same contract with sharp\'s linear resize, as the README measured: matched, extra, worst gap)');
  console.log('| model | flags | found (class:score) | README matched | extra | worst score gap | with the README\'s resize |');
  console.log('|---|---|---|---:|---:|---:|---|');
  for (const s of subjects) {
    try {
      const report = await runDetect(zooModel(s.name), asset('images', 'bus.jpg'), { outDir: join(dir, `detect-${s.name}`), conf: s.conf, contract: parseContractFlags(s.flags) });
      const got = report.images[0]!.detections.map((d) => [d.classId, d.score] as [number, number]);
      const c = compareToReadme(got, s.bus);
      const found = got.map(([cls, score]) => `${cls === 0 ? 'person' : cls === 5 ? 'bus' : cls}:${score.toFixed(3)}`).join(' ');
      const linear = await detectWithContract(zooModel(s.name), asset('images', 'bus.jpg'), s.flags, { conf: s.conf, resampling: 'linear' });
      const l = compareToReadme(linear.detections.map((d) => [d.classId, d.score]), s.bus);
      console.log(`| ${s.name} | ${flagText(s.flags)} | ${found} | ${c.matched}/${s.bus.length} | ${c.extra} | ${c.worstGap.toFixed(3)} | ${l.matched}/${s.bus.length}, ${l.extra}, ${l.worstGap.toFixed(3)} |`);
    } catch (err) {
      console.log(`| ${s.name} | ${flagText(s.flags)} | FAILED: ${(err as Error).message.slice(0, 160)} | | | |`);
    }
  }
}

async function accuracyTable(subjects: Subject[]): Promise<void> {
  const data = asset('coco_val128');
  console.log('\nFP32 accuracy on all of coco_val128 (edgeopt eval: conf 0.001, the family\'s validator NMS IoU, FP32 sanity check first)');
  console.log('| model | flags | mAP50-95 | mAP50 | published mAP50-95 | published mAP50 | published source |');
  console.log('|---|---|---:|---:|---:|---:|---|');
  for (const s of subjects) {
    try {
      const r = await evaluateModel(zooModel(s.name), data, { contract: parseContractFlags(s.flags) });
      const p = s.published;
      console.log(`| ${s.name} | ${flagText(s.flags)} | ${pct(r.map50_95)} | ${pct(r.map50)} | ${p.map50_95 ?? '–'} | ${p.map50 ?? '–'} | ${p.source} |`);
    } catch (err) {
      console.log(`| ${s.name} | ${flagText(s.flags)} | not measured: ${(err as Error).message.split('\n')[0]!.slice(0, 200)} | | | | |`);
    }
  }
}

/** One variant of each kind keeps a run of every zoo model within minutes. */
const VARIANTS = 'int8-dynamic,fp16,int8-static-full';

interface RunRow {
  label: string;
  ok: boolean;
  line: string;
  /** The FP32 file the run wrote (it carries the resolved contract in its metadata_props). */
  fp32Model?: string;
}

function runOne(s: Subject, dir: string, withFlags: boolean): RunRow {
  const out = join(dir, `run-${s.name}${withFlags ? '-flags' : ''}`);
  const runs = arg('--runs') ?? '20';
  const flags = withFlags ? [...(s.flags.preprocess ? ['--preprocess', s.flags.preprocess] : []), ...(s.flags.decoder ? ['--decoder', s.flags.decoder] : [])] : [];
  const args = ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts'), 'run', '--model', zooModel(s.name), '-o', out, '--runs', runs, '--warmup', '3', '--rounds', '1', '--scenario', 'controlled', '--eval-images', '32', '--calib-images', '32', '--variants', VARIANTS, '--no-store', '-q', ...flags];
  // picodet_xs_nms has no names or class count in the file: accuracy needs --eval, as a user would pass it.
  if (s.name === 'picodet_xs_nms_320' && withFlags) args.push('--eval', asset('coco_val128'));
  const started = Date.now();
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: REPO_ROOT, maxBuffer: 1 << 26 });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  let results: RunResults | undefined;
  try {
    results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
  } catch {
    // No results: the exit code and stderr say why.
  }
  const label = `${s.name}${withFlags ? ' + flags' : ''}`;
  if (!results) return { label, ok: false, line: `| ${label} | FAILED (exit ${child.status}) | ${seconds} s | no results.json: ${child.stderr.trim().split('\n').pop()?.slice(0, 160)} | | | |` };
  const failedVariants = results.variants.filter((v) => v.errors.length > 0).map((v) => v.name);
  const ok = child.status === 0 && results.errors.length === 0 && failedVariants.length === 0;
  const produced = results.variants.filter((v) => v.errors.length === 0).map((v) => v.name).join(', ');
  const fp32 = results.variants.find((v) => v.name === 'fp32');
  const accuracy = fp32?.accuracy ? `FP32 mAP50-95 ${pct(fp32.accuracy.map50_95)} / mAP50 ${pct(fp32.accuracy.map50)} (${fp32.accuracy.images} images)` : (fp32?.accuracyStatus ?? 'none');
  const fid = results.variants
    .filter((v) => v.name !== 'fp32')
    .map((v) => `${v.name} ${v.fidelity ? (v.fidelity.detectionF1 !== undefined ? `F1 ${v.fidelity.detectionF1.toFixed(2)}` : `cos ${v.fidelity.cosine.toFixed(3)}`) : v.errors.length ? 'FAILED' : '–'}`)
    .join('; ');
  const hint = results.contract?.decoderSuggestion ?? results.accuracyCheck?.suggestion ?? '';
  const status = ok ? 'ok' : `FAILED (exit ${child.status}; ${results.errors.length} run errors${failedVariants.length ? `; failed: ${failedVariants.join(', ')}` : ''})`;
  const fp32Path = fp32 && typeof fp32.path === 'string' ? join(out, fp32.path) : undefined;
  return {
    label,
    ok,
    fp32Model: fp32Path,
    line: `| ${label} | ${status} | ${seconds} s | ${produced} | ${accuracy}${hint ? ` — ${hint}` : ''} | ${fid} | ${results.selection?.chosen ?? results.selection?.summary?.slice(0, 80) ?? '–'} |`,
  };
}

/**
 * What the run's own FP32 file gives with no flags at all (its contract travels in its metadata): bus.jpg against the
 * zoo README's list, and mAP on all of coco_val128 next to the family's published val2017 figure.
 */
async function carriedContractLine(s: Subject, row: RunRow): Promise<string> {
  if (!row.fp32Model) return `| ${row.label} | no FP32 file | | | |`;
  let bus = '';
  try {
    const report = await runDetect(row.fp32Model, asset('images', 'bus.jpg'), { outDir: join(dirname(row.fp32Model), 'detect-bus'), conf: s.conf });
    const c = compareToReadme(report.images[0]!.detections.map((d) => [d.classId, d.score]), s.bus);
    bus = `${c.matched}/${s.bus.length} matched, ${c.extra} extra, worst score gap ${c.worstGap.toFixed(3)}${c.matched === s.bus.length ? '' : ' — MISMATCH'}`;
  } catch (err) {
    bus = `FAILED: ${(err as Error).message.split('\n')[0]!.slice(0, 160)}`;
  }
  let map = '';
  try {
    const r = await evaluateModel(row.fp32Model, asset('coco_val128'));
    map = `${pct(r.map50_95)} / ${pct(r.map50)}`;
  } catch (err) {
    map = `not measured: ${(err as Error).message.split('\n')[0]!.slice(0, 160)}`;
  }
  const p = s.published;
  return `| ${row.label} | ${bus} | ${map} | ${p.map50_95 ?? '–'} / ${p.map50 ?? '–'} | ${p.source} |`;
}

async function runTable(subjects: Subject[], dir: string): Promise<void> {
  console.log(`\nedgeopt run --model <zoo file> (--variants ${VARIANTS}, --runs ${arg('--runs') ?? '20'}, 1 round, controlled only, 32 eval and 32 calibration images)`);
  console.log('| run | result | wall | variants produced | FP32 accuracy in the run | fidelity vs FP32 per variant | selected |');
  console.log('|---|---|---:|---|---|---|---|');
  const rows: Array<{ s: Subject; row: RunRow }> = [];
  for (const s of subjects) {
    const runsOf = [false, ...(s.flags.decoder || s.flags.preprocess || s.name === 'picodet_xs_nms_320' ? [true] : [])];
    for (const withFlags of runsOf) {
      const row = runOne(s, dir, withFlags);
      console.log(row.line);
      rows.push({ s, row });
    }
  }
  console.log('\nThe FP32 file each run wrote, with no flags (its contract is in its metadata): bus.jpg vs the zoo README, and all of coco_val128');
  console.log('| run | bus.jpg vs README | mAP50-95 / mAP50 (coco_val128) | published val2017 mAP50-95 / mAP50 | published source |');
  console.log('|---|---|---|---|---|');
  for (const { s, row } of rows) console.log(await carriedContractLine(s, row));
  const failed = rows.filter((r) => !r.row.ok).map((r) => r.row.label);
  console.log(`\nrun: ${rows.length - failed.length}/${rows.length} runs ok${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
  if (failed.length) process.exitCode = 1;
}

if (!hasZoo) {
  console.log('contracts bench skipped: ../shared/assets/zoo is not here');
} else {
  const only = arg('--only');
  const names = arg('--models')?.split(',');
  const subjects = SUBJECTS.filter((s) => !names || names.includes(s.name));
  const dir = mkdtempSync(join(tmpdir(), 'edgeopt-contracts-bench-'));
  try {
    if (!only || only === 'detect') await detectTable(subjects, dir);
    if (!only || only === 'accuracy') await accuracyTable(subjects);
    if (!only || only === 'run') await runTable(subjects, dir);
  } finally {
    if (process.argv.includes('--keep')) console.log(`\nkept the outputs in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
