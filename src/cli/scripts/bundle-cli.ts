/**
 * `npm run build`'s second step (after tsc): rewrites dist/cli/main.js as one bundle of the CLI front (src/cli and
 * commander), with one chunk per command module, loaded when that command runs.
 *
 * Why: start-up is part of the job (issue 9's target: `edgeopt --help` and `edgeopt inspect` on a small file within
 * 2x of `node -e 0`). Loaded file by file, the front (7 files of src/cli and commander's 8 for `inspect`) cost Node's
 * ESM loader a resolve-read-compile round trip each, the CommonJS export scan of commander, and `node:child_process`
 * (with net and dgram behind it), which commander requires at load but only calls for executable subcommands, which
 * edgeopt has none of. Bundled, those 15 files are 4 (`inspect yolov5n.pt` loads 17 files in all, was 28) and
 * child_process loads on first use. Measured side by side here (`npm run bench:startup -- --compare`,
 * medians of 25 interleaved fresh processes, node -e 0 = 101.8 ms): `inspect yolov5n.pt` 212.6 → 197.7 ms
 * (2.09x → 1.94x), `--help` 143.7 → 129.5 ms (1.41x → 1.27x).
 *
 * Only the CLI is bundled. Every library module (src outside cli/) stays tsc's own file in dist/, imported by its
 * relative path from here: the library keeps one copy of each module (one EdgeoptError class, one provider-fallback
 * listener list), its `import.meta.url` paths keep meaning what they say, and `dist/index.js` is untouched.
 * Bundling the library too was measured and gained less (1.97x against the unbundled 2.07x, where the CLI-only
 * bundle gave 1.91x against 2.04x in another run): its shared chunks are parsed whether a command uses them or not.
 *
 * Output files sit beside main.js (dist/cli/bundle-*.js) so that the relative paths to the library are the same from
 * every one of them; the previous build's chunks are removed first.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));
// dist/cli/scripts/bundle-cli.js → the package root is three levels up.
const ROOT = resolve(HERE, '..', '..', '..');
const SRC = join(ROOT, 'src');
const CLI_SRC = join(SRC, 'cli');
const OUT = join(ROOT, 'dist', 'cli');
const CHUNK_PREFIX = 'bundle-';

/** Node built-ins commander requires at load but needs only when it spawns an executable subcommand. */
const LOAD_ON_USE = /^(node:)?child_process$/;

const isUnder = (dir: string, file: string) => file.startsWith(dir + sep);

/** The path of `srcFile`'s tsc output (src/x/y.ts → dist/x/y.js) as an import specifier from the bundle's folder. */
function distSpecifier(srcFile: string): string {
  const twin = join(ROOT, 'dist', relative(SRC, srcFile)).replace(/\.ts$/, '.js');
  const rel = relative(OUT, twin).split(sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

const cliFront: Plugin = {
  name: 'edgeopt-cli-front',
  setup(b) {
    // commander's `require('node:child_process')` becomes a proxy that requires it on first property access.
    b.onResolve({ filter: LOAD_ON_USE }, (args) => (args.importer.includes(`${sep}node_modules${sep}commander${sep}`) ? { path: args.path, namespace: 'load-on-use' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'load-on-use' }, (args) => ({
      contents: `let loaded; module.exports = new Proxy({}, { get: (_, key) => (loaded ??= require(${JSON.stringify(args.path)}))[key] });`,
      loader: 'js',
    }));
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.namespace !== 'file' || !isUnder(SRC, args.importer)) return undefined; // inside commander: esbuild's own resolution
      if (!args.path.startsWith('.')) return args.path === 'commander' ? undefined : { path: args.path, external: true };
      const file = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      if (isUnder(CLI_SRC, file) && !isUnder(join(CLI_SRC, 'scripts'), file)) return { path: file };
      return { path: distSpecifier(file), external: true };
    });
    // A bundled module no longer lives where its source says: a path built from import.meta.url would point elsewhere.
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (text.includes('import.meta')) {
        return { errors: [{ text: `${relative(ROOT, args.path)} uses import.meta, which a bundled CLI module must not (move that code into the library)` }] };
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

async function main(): Promise<void> {
  for (const name of readdirSync(OUT)) if (name.startsWith(CHUNK_PREFIX) && /\.js(\.map)?$/.test(name)) rmSync(join(OUT, name));
  const result = await build({
    entryPoints: { main: join(CLI_SRC, 'main.ts') },
    outdir: OUT,
    chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    // Bundled CommonJS (commander) calls require() for Node built-ins; an ES module has none of its own.
    banner: { js: "import { createRequire as __edgeoptCreateRequire } from 'node:module';\nconst require = __edgeoptCreateRequire(import.meta.url);" },
    plugins: [cliFront],
    logLevel: 'warning',
    metafile: true,
  });
  const files = Object.keys(result.metafile.outputs).filter((f) => f.endsWith('.js'));
  process.stderr.write(`bundle-cli: dist/cli/main.js and ${files.length - 1} chunks\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bundle-cli: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}\n`);
  process.exitCode = 1;
});
