import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { asset, REPO_ROOT } from '../../helpers/assets.js';
import { runCli, type CliResult } from '../../helpers/cli.js';

const DIST_CLI = join(REPO_ROOT, 'dist', 'cli');
const BUNDLE = join(DIST_CLI, 'main.js');

/** Newest modification time of the CLI's sources: a bundle older than them is not the code under test. */
function newestCliSource(dir = join(REPO_ROOT, 'src', 'cli')): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestCliSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function stateOfBundle(): string {
  if (!existsSync(BUNDLE)) return 'missing';
  // tsc alone (without the bundle step) writes its own main.js there.
  if (!readFileSync(BUNDLE, 'utf8').includes('__edgeoptCreateRequire')) return "tsc's output, not the bundle";
  return statSync(BUNDLE).mtimeMs < newestCliSource() ? 'older than src/cli' : 'current';
}

const bundleState = stateOfBundle();
if (bundleState !== 'current') process.stderr.write(`bundle-cli test: skipped, dist/cli/main.js is ${bundleState} (run npm run build)\n`);

/**
 * Runs the built CLI. With `builtins`, the process also reports at exit which of those Node built-ins it loaded
 * (Node's own list of loaded internal modules), on stderr after a marker line.
 */
function runBundle(args: string[], builtins: string[] = []): Promise<CliResult & { loaded: string[] | null }> {
  const report = `process.on('exit', () => { const list = process.moduleLoadList; process.stderr.write('\\n@@loaded ' + JSON.stringify(${JSON.stringify(builtins)}.filter((m) => list.includes('NativeModule ' + m)))); });`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(report)}`, BUNDLE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      const [before, loaded] = stderr.split('\n@@loaded ');
      // No marker means the report did not run: null, which no assertion on the list accepts.
      resolve({ status, stdout, stderr: before ?? '', loaded: loaded === undefined ? null : (JSON.parse(loaded) as string[]) });
    });
  });
}

describe.skipIf(bundleState !== 'current')('the bundled CLI (dist/cli/main.js, npm run build)', () => {
  it('prints the same --help, --version and command help as the CLI run from its sources', async () => {
    for (const args of [['--help'], ['--version'], ['quantize', '--help']]) {
      const [built, source] = await Promise.all([runBundle(args), runCli(args)]);
      expect(built.status, args.join(' ')).toBe(0);
      expect(built.stdout, args.join(' ')).toBe(source.stdout);
    }
  });

  it('starts without child_process (commander needs it only for executable subcommands) and still runs a command', async () => {
    const help = await runBundle(['--help'], ['child_process', 'dgram']);
    expect(help.status).toBe(0);
    expect(help.loaded).toEqual([]);
    const pt = asset('models', 'yolov5n.pt');
    const args = existsSync(pt) ? ['inspect', pt, '--json'] : ['inspect', '--decoders'];
    const [built, source] = await Promise.all([runBundle(args, ['child_process']), runCli(args)]);
    expect(built.status).toBe(0);
    expect(built.loaded).toEqual([]);
    expect(built.stdout).toBe(source.stdout);
  });

  it('fails the way the source CLI does: a typo gets the suggestion, a bad flag one line and exit 1', async () => {
    for (const args of [['inspct'], ['bench', 'x.onnx', '--runs', '-5']]) {
      const [built, source] = await Promise.all([runBundle(args), runCli(args)]);
      expect(built.status, args.join(' ')).toBe(1);
      expect(built.stderr, args.join(' ')).toBe(source.stderr);
    }
  });

  it('bundles only src/cli and commander: every library module is imported from its own file in dist/', () => {
    const bundled = new Set<string>();
    for (const name of readdirSync(DIST_CLI).filter((n) => n === 'main.js' || (n.startsWith('bundle-') && n.endsWith('.js')))) {
      const text = readFileSync(join(DIST_CLI, name), 'utf8');
      // esbuild marks each module it inlines with a `// <path>` line (node_modules may sit behind a symlink).
      for (const m of text.matchAll(/^\/\/ (?:\S*?\/)?((?:src|node_modules)\/\S+)$/gm)) bundled.add(m[1]!);
      for (const m of text.matchAll(/from "(\.\.\/[^"]+)"/g)) expect(existsSync(join(DIST_CLI, m[1]!)), `${name} imports ${m[1]}`).toBe(true);
    }
    expect([...bundled].some((p) => p.startsWith('node_modules/commander/'))).toBe(true);
    expect([...bundled].filter((p) => !p.startsWith('src/cli/') && !p.startsWith('node_modules/commander/'))).toEqual([]);
  });
});
