/**
 * `npm run bench:startup`: how long the CLI takes to start, against a bare `node -e 0`, so that the target
 * "`edgeopt --help` and `edgeopt inspect <small .pt>` within 2x of node -e 0" is checked by measurement.
 * The commands run interleaved (one of each per round, in rotated order), many rounds, fresh processes each;
 * medians and their ratios to node -e 0 are printed. Heavy dependencies load only inside the commands that use
 * them, so the start-up cost is Node's own plus commander's plus the command registrations.
 * Options: --rounds N (default 40), --pt <file> (default: the shared yolov5n.pt, else none), --compare <main.js>
 * (another build's dist/cli/main.js, e.g. an older checkout, measured in the same interleaved rounds).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from '../../bench/stats.js';

const HERE = dirname(fileURLToPath(import.meta.url));
// dist/cli/scripts/bench-startup.js → the package root is three levels up; the CLI is dist/cli/main.js.
const ROOT = resolve(HERE, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'cli', 'main.js');

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Case {
  name: string;
  args: string[];
}

function timeOnce(c: Case): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name} exited with ${r.status}: ${r.stderr.split('\n')[0]}`);
  return ms;
}

function main(): number {
  if (!existsSync(MAIN)) {
    process.stderr.write(`bench-startup: ${MAIN} is missing (run npm run build)\n`);
    return 1;
  }
  const rounds = Number(argValue('--rounds') ?? 40);
  if (!Number.isInteger(rounds) || rounds < 3) throw new Error('--rounds must be an integer ≥ 3');
  const assets = process.env.EDGEOPT_ASSETS ?? join(ROOT, '..', 'shared', 'assets');
  const pt = argValue('--pt') ?? join(assets, 'models', 'yolov5n.pt');
  const cases: Case[] = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'edgeopt --help', args: [MAIN, '--help'] },
    { name: 'edgeopt --version', args: [MAIN, '--version'] },
    { name: 'edgeopt bench --help', args: [MAIN, 'bench', '--help'] },
  ];
  const hasPt = existsSync(pt);
  if (hasPt) cases.push({ name: `edgeopt inspect ${pt.split('/').pop()}`, args: [MAIN, 'inspect', pt] });
  else process.stderr.write(`bench-startup: ${pt} not found; inspect is not measured (pass --pt <file>)\n`);
  const other = argValue('--compare');
  if (other) {
    cases.push({ name: 'compared build: --help', args: [other, '--help'] });
    if (hasPt) cases.push({ name: 'compared build: inspect', args: [other, 'inspect', pt] });
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
  console.log(`start-up, ${rounds} interleaved rounds, fresh process each (medians; p25–p75)`);
  for (const c of cases) {
    const t = times.get(c.name)!;
    const p50 = percentile(t, 0.5);
    console.log(
      `  ${c.name.padEnd(34)} ${p50.toFixed(1).padStart(7)} ms  (${percentile(t, 0.25).toFixed(1)}–${percentile(t, 0.75).toFixed(1)})  ${(p50 / base).toFixed(2)}x node -e 0`,
    );
  }
  const target = cases.filter((c) => c.name === 'edgeopt --help' || c.name.startsWith('edgeopt inspect'));
  const worst = Math.max(...target.map((c) => percentile(times.get(c.name)!, 0.5) / base));
  console.log(`  target: --help and inspect within 2x of node -e 0 → worst ${worst.toFixed(2)}x: ${worst <= 2 ? 'met' : 'MISSED'}`);
  return 0;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`bench-startup: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
