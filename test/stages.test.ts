import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { STAGES } from '../src/stages.js';
import { REPO_ROOT } from './helpers/assets.js';

const SRC = join(REPO_ROOT, 'src');
const ORDER = new Map<string, number>(STAGES.map((s, i) => [s.name, i]));
/** Files directly in src/ that stand outside the order: the library's front door and the order itself. */
const ROOT_FILES = new Set(['index.ts', 'stages.ts']);

function filesUnder(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : filesUnder(path, ext);
    return ext.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier a file imports: static imports and re-exports, `import type`, and dynamic `import()`. */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

/** The stage a src/ file belongs to: its first directory under src/ (undefined for the root files). */
function stageOf(file: string): string | undefined {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : undefined;
}

interface Edge {
  from: string;
  to: string;
  fromStage: string | undefined;
  toStage: string | undefined;
}

function importGraph(): Edge[] {
  return filesUnder(SRC, /\.ts$/).flatMap((file) =>
    importsOf(file)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        return { from: relative(SRC, file), to: relative(SRC, target), fromStage: stageOf(file), toStage: stageOf(target) };
      }),
  );
}

describe('layering of src/', () => {
  const edges = importGraph();

  it('reads a real import graph', () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual(expect.objectContaining({ from: join('bench', 'worker.ts'), to: join('runtime', 'ort-node.ts') }));
  });

  it('has every stage directory in the stage order, and no other file at the root', () => {
    const dirs = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(dirs.filter((d) => !ORDER.has(d))).toEqual([]);
    const rootFiles = readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
    expect(rootFiles.filter((f) => !ROOT_FILES.has(f))).toEqual([]);
  });

  it('has no stage importing a later stage (or the library front door)', () => {
    const violations = edges
      .filter((e) => e.fromStage !== undefined)
      .filter((e) => e.toStage === undefined || ORDER.get(e.toStage)! > ORDER.get(e.fromStage!)!)
      .map((e) => `${e.from} imports ${e.to}`);
    expect(violations).toEqual([]);
  });

  it('has onnxruntime-node imported only inside src/runtime/ (tests and the page go through the Runtime too)', () => {
    const files = [...filesUnder(SRC, /\.ts$/), ...filesUnder(join(REPO_ROOT, 'test'), /\.ts$/), ...filesUnder(join(REPO_ROOT, 'web'), /\.js$/)];
    const importers = files.filter((f) => importsOf(f).includes('onnxruntime-node')).map((f) => relative(REPO_ROOT, f));
    expect(importers).toEqual([join('src', 'runtime', 'ort-node.ts')]);
  });

  it('has no import cycle between files (a cycle within a stage too: e.g. quantize/file.ts once took modes from quantize/index.ts)', () => {
    const next = new Map<string, string[]>();
    // Type-only imports are erased, but a cycle of them still means two modules that cannot be read apart.
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const to of next.get(file) ?? []) visit(to, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of next.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it("is the order the README's layout section quotes", () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 1));
    const quoted = [...section.matchAll(/`(\w+)`/g)].map((m) => m[1]).filter((name) => ORDER.has(name!));
    expect(quoted).toEqual(STAGES.map((s) => s.name));
  });
});
