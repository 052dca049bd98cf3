import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (this file lives in test/helpers/). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared, read-only assets folder (../shared/assets beside the repo, or $EDGEOPT_ASSETS). */
export const ASSETS = process.env.EDGEOPT_ASSETS ?? resolve(REPO_ROOT, '..', 'shared', 'assets');

export const hasAssets = existsSync(join(ASSETS, 'PROVENANCE.md'));

if (!hasAssets) {
  // Said once per test file that uses assets, so a skipped run is never mistaken for a pass.
  process.stderr.write(`edgeopt tests: ${ASSETS} not found; tests that need the shared models and images are skipped\n`);
}

export function asset(...parts: string[]): string {
  return join(ASSETS, ...parts);
}
