import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string; license: string; bin: Record<string, string> };

describe('the package', () => {
  it('edgeopt --version prints the version in package.json', async () => {
    const r = await runCli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('ships the CLI, the library with its types, the demo page and the licence, and no sources, tests, maps or bench scripts', async () => {
    // --ignore-scripts: list what `npm pack` would take from the dist/ that is there, without rebuilding it.
    const { stdout } = await promisify(execFile)('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO_ROOT });
    const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    for (const needed of [pkg.bin.edgeopt!, 'dist/index.js', 'dist/index.d.ts', 'dist/bench/worker.js', 'dist/demo/server.js', 'dist/eval/decode.js', 'web/index.html', 'web/app.js', 'LICENSE', 'README.md', 'package.json']) {
      expect(files).toContain(needed);
    }
    expect(files.filter((f) => !f.startsWith('dist/') && !f.startsWith('web/'))).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
    expect(files.filter((f) => /(^|\/)(src|test|scripts)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
    expect(pkg.license).toBe('MIT');
  });
});
