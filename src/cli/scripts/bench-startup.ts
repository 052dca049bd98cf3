/**
 * `npm run bench:startup`: how long the built CLI (dist/cli/main.js) takes to start, against a bare `node -e 0`,
 * so that the target "`edgeopt --help` and `edgeopt inspect` on a small file within 2x of node -e 0" is checked
 * by measurement. All cases run interleaved (one of each per round, in rotated order), fresh processes each;
 * medians and their ratios to the median of node -e 0 are printed, with PASS/FAIL against 2x for each target.
 *
 * The small files (stated in the output): an ONNX model, by default the shared zoo's yolofastestv2_352.onnx
 * (0.98 MB), and a .pt checkpoint, by default the shared official yolov5n.pt (4.1 MB). A .pt needs its zip read and
 * its pickle run before anything can be said about it; the `pt reader alone` case measures exactly that work in a
 * bare Node process (no CLI), so the output shows how much of inspect's time the file type itself needs.
 * Options: --rounds N (default 30), --onnx <file>, --pt <file>, --compare <main.js> (another build's
 * dist/cli/main.js, measured in the same interleaved rounds). Run it under `flock /work/bench.lock`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { percentile } from '../../bench/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// dist/cli/scripts/bench-startup.js → the package root is three levels up; the CLI is dist/cli/main.js.
const ROOT = resolve(HERE, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');
const TARGET_RATIO = 2;

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Case {
  name: string;
  args: string[];
  /** Checked against TARGET_RATIO. */
  target?: boolean;
}

function timeOnce(c: Case): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}: ${r.stderr.split('\n')[0]}`);
  return ms;
}

/** The shared assets: $EDGEOPT_ASSETS, else ../shared/assets beside the package or beside its git worktree folder. */
function assetsDir(): string | undefined {
  const candidates = process.env.EDGEOPT_ASSETS ? [process.env.EDGEOPT_ASSETS] : [join(ROOT, '..', 'shared', 'assets'), join(ROOT, '..', '..', 'shared', 'assets')];
  return candidates.find((d) => existsSync(d));
}

function megabytes(file: string): string {
  return `${(statSync(file).size / 1e6).toFixed(2)} MB`;
}

function main(): number {
  if (!existsSync(MAIN)) {
    process.stderr.write(`bench-startup: ${MAIN} is missing (run npm run build)\n`);
    return 1;
  }
  const rounds = Number(argValue('--rounds') ?? 30);
  if (!Number.isInteger(rounds) || rounds < 3) throw new Error('--rounds must be an integer ≥ 3');
  const assets = assetsDir();
  const onnx = argValue('--onnx') ?? (assets ? join(assets, 'zoo', 'yolofastestv2_352.onnx') : '');
  const pt = argValue('--pt') ?? (assets ? join(assets, 'models', 'yolov5n.pt') : '');
  const cases: Case[] = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'edgeopt --help', args: [MAIN, '--help'], target: true },
    { name: 'edgeopt --version', args: [MAIN, '--version'] },
    { name: 'edgeopt bench --help', args: [MAIN, 'bench', '--help'] },
  ];
  const files: string[] = [];
  if (existsSync(onnx)) {
    cases.push({ name: `edgeopt inspect ${basename(onnx)}`, args: [MAIN, 'inspect', onnx], target: true });
    files.push(`ONNX ${onnx} (${megabytes(onnx)})`);
  } else process.stderr.write(`bench-startup: no ONNX file (${onnx || 'no shared assets'}); inspect of an ONNX model is not measured (pass --onnx <file>)\n`);
  if (existsSync(pt)) {
    cases.push({ name: `edgeopt inspect ${basename(pt)}`, args: [MAIN, 'inspect', pt], target: true });
    // The work a .pt needs whatever the CLI does: read the file, open its zip, run its pickle (and summarise it).
    const reader = `const { readCheckpoint } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'pt', 'checkpoint.js')).href)}); readCheckpoint(${JSON.stringify(pt)});`;
    cases.push({ name: 'pt reader alone (no CLI)', args: ['--input-type=module', '-e', reader] });
    files.push(`.pt ${pt} (${megabytes(pt)})`);
  } else process.stderr.write(`bench-startup: no .pt file (${pt || 'no shared assets'}); inspect of a checkpoint is not measured (pass --pt <file>)\n`);
  const other = argValue('--compare');
  if (other) {
    cases.push({ name: 'compared build: --help', args: [other, '--help'] });
    if (existsSync(pt)) cases.push({ name: 'compared build: inspect .pt', args: [other, 'inspect', pt] });
  }

  const times = new Map(cases.map((c) => [c.name, [] as number[]]));
  for (const c of cases) timeOnce(c); // warm the file cache once, untimed
  for (let round = 0; round < rounds; round++) {
    // Rotate the order so that no case always follows (or precedes) the same neighbour.
    for (let k = 0; k < cases.length; k++) {
      const c = cases[(round + k) % cases.length]!;
      times.get(c.name)!.push(timeOnce(c));
    }
  }
  const base = percentile(times.get('node -e 0')!, 0.5);
  console.log(`start-up of ${MAIN}, ${rounds} interleaved rounds, fresh process each (medians; p25–p75), node ${process.version}`);
  for (const f of files) console.log(`  small file: ${f}`);
  for (const c of cases) {
    const t = times.get(c.name)!;
    const p50 = percentile(t, 0.5);
    const ratio = p50 / base;
    const verdict = c.target ? `  ${ratio <= TARGET_RATIO ? 'PASS' : 'FAIL'} (target ≤ ${TARGET_RATIO}x)` : '';
    console.log(`  ${c.name.padEnd(40)} ${p50.toFixed(1).padStart(7)} ms  (${percentile(t, 0.25).toFixed(1)}–${percentile(t, 0.75).toFixed(1)})  ${ratio.toFixed(2)}x node -e 0${verdict}`);
  }
  const reader = times.get('pt reader alone (no CLI)');
  const inspectPt = cases.find((c) => c.target && c.name.endsWith('.pt'));
  if (reader && inspectPt) {
    const readerMs = percentile(reader, 0.5) - base;
    const inspectMs = percentile(times.get(inspectPt.name)!, 0.5) - base;
    console.log(
      `  the .pt: reading its zip and running its pickle take ${readerMs.toFixed(1)} ms over node -e 0 without any CLI, of inspect's ${inspectMs.toFixed(1)} ms; ` +
        `2x leaves ${base.toFixed(1)} ms for everything beyond Node's own start`,
    );
  }
  const failed = cases.filter((c) => c.target && percentile(times.get(c.name)!, 0.5) / base > TARGET_RATIO);
  console.log(`  target (--help and inspect of each small file ≤ ${TARGET_RATIO}x node -e 0): ${failed.length === 0 ? 'PASS' : `FAIL (${failed.map((c) => c.name).join('; ')})`}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`bench-startup: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
