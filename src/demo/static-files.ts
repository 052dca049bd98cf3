import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, posix } from 'node:path';
import { PACKAGE_ROOT } from '../util/assets.js';
import { EdgeoptError } from '../util/errors.js';

/**
 * The demo server's whole file surface: a fixed table from URL path to file, built once at start-up.
 * Requests are answered by looking the path up in this table and nothing else, so no client-supplied
 * path ever reaches the file system (the path-traversal defence is structural, not a filter).
 */
export interface StaticFile {
  file: string;
  contentType: string;
}

export type StaticRoutes = Map<string, StaticFile>;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

export function contentTypeFor(file: string): string | undefined {
  return CONTENT_TYPES[extname(file).toLowerCase()];
}

/**
 * onnxruntime-web files the page loads: the wasm-only bundle (smaller download, for the wasm backend)
 * and the full bundle (wasm + WebGPU through JSEP), each with the emscripten glue and binary it imports.
 */
export const ORT_WEB_FILES = [
  'ort.wasm.min.mjs',
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
  'ort.min.mjs',
  'ort-wasm-simd-threaded.jsep.mjs',
  'ort-wasm-simd-threaded.jsep.wasm',
] as const;

/**
 * Compiled edgeopt modules the page imports from /lib/. They must be pure (no node imports); their
 * relative imports are followed and served too, so the browser runs exactly the code the CLI runs.
 */
export const BROWSER_LIB_ENTRIES = [
  'image/letterbox.js', 'image/preprocessing.js', 'image/input-size.js', 'eval/decode.js', 'eval/names.js', 'detect/annotate.js', 'bench/stats.js', 'util/float16.js',
  'runtime/ort-web.js', 'runtime/tensors.js', 'eval/decoders/index.js', 'eval/contract/feeds.js',
] as const;

/** Every regular file directly inside web/ with a known content type, plus `/` for index.html. */
export function webRoutes(webDir: string): StaticRoutes {
  const routes: StaticRoutes = new Map();
  if (!existsSync(join(webDir, 'index.html'))) {
    throw new EdgeoptError(`demo page not found: ${join(webDir, 'index.html')} (is the package installed completely?)`);
  }
  for (const name of readdirSync(webDir)) {
    const file = join(webDir, name);
    const contentType = contentTypeFor(name);
    if (contentType && statSync(file).isFile()) routes.set(`/${name}`, { file, contentType });
  }
  routes.set('/', routes.get('/index.html')!);
  return routes;
}

/** Directory of onnxruntime-web's dist files in this installation's node_modules. */
export function ortWebDistDir(): string {
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    entry = require.resolve('onnxruntime-web');
  } catch {
    throw new EdgeoptError('onnxruntime-web is not installed (run npm install)');
  }
  // The package's main entry lives in its dist/ folder; walk up to it rather than trusting the file name.
  const distSuffix = join('onnxruntime-web', 'dist');
  let dir = dirname(entry);
  while (!dir.endsWith(distSuffix) && dirname(dir) !== dir) dir = dirname(dir);
  if (!dir.endsWith(distSuffix)) throw new EdgeoptError(`cannot find onnxruntime-web's dist folder from ${entry}`);
  return dir;
}

export function ortRoutes(ortDistDir: string): StaticRoutes {
  const routes: StaticRoutes = new Map();
  for (const name of ORT_WEB_FILES) {
    const file = join(ortDistDir, name);
    if (!existsSync(file)) throw new EdgeoptError(`onnxruntime-web file missing: ${file} (reinstall onnxruntime-web)`);
    routes.set(`/ort/${name}`, { file, contentType: contentTypeFor(name)! });
  }
  return routes;
}

const IMPORT_SPECIFIER = /(?:^|[;\s])(?:import|export)\s*(?:[\w*{}\s,$]*?\sfrom\s*)?['"]([^'"]+)['"]/g;

/** Static import/export specifiers of a compiled ES module. */
export function importSpecifiers(source: string): string[] {
  return [...source.matchAll(IMPORT_SPECIFIER)].map((m) => m[1]!);
}

/**
 * /lib/<module> routes for the entry modules and everything they import relatively, from dist/.
 * A module that imports a package or a node builtin cannot run in a browser: that is a bug in the
 * module, reported as such rather than served broken.
 */
export function libRoutes(distDir: string, entries: readonly string[] = BROWSER_LIB_ENTRIES): StaticRoutes {
  const routes: StaticRoutes = new Map();
  const pending = [...entries];
  while (pending.length > 0) {
    const rel = pending.pop()!;
    if (routes.has(`/lib/${rel}`)) continue;
    const file = join(distDir, ...rel.split('/'));
    if (!existsSync(file)) {
      throw new EdgeoptError(`the demo needs the compiled module ${file}, which is missing: run npm run build`);
    }
    routes.set(`/lib/${rel}`, { file, contentType: contentTypeFor(file)! });
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) {
        throw new EdgeoptError(`${file} imports '${specifier}', so it cannot run in the browser demo`);
      }
      const target = posix.normalize(posix.join(posix.dirname(rel), specifier));
      if (target.startsWith('../')) throw new EdgeoptError(`${file} imports '${specifier}' from outside dist/`);
      pending.push(target);
    }
  }
  return routes;
}

/** The complete route table of the demo's own files. */
export function demoStaticRoutes(options: { webDir?: string; distDir?: string; ortDistDir?: string } = {}): StaticRoutes {
  return new Map([
    ...webRoutes(options.webDir ?? join(PACKAGE_ROOT, 'web')),
    ...ortRoutes(options.ortDistDir ?? ortWebDistDir()),
    ...libRoutes(options.distDir ?? join(PACKAGE_ROOT, 'dist')),
  ]);
}
