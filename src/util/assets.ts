import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (this file is src/util/assets.ts or dist/util/assets.js). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The shared development assets (models, coco128, coco_val128) when they are present:
 * $EDGEOPT_ASSETS when set, else ../shared/assets beside the package. Undefined on a user's fresh machine,
 * where the tool falls back to its built-in model and says what it skipped.
 */
export function sharedAssetsDir(): string | undefined {
  // An explicit EDGEOPT_ASSETS wins even when it does not exist: that is how a fresh machine is simulated.
  const candidates = process.env.EDGEOPT_ASSETS !== undefined ? [process.env.EDGEOPT_ASSETS] : [resolve(PACKAGE_ROOT, '..', 'shared', 'assets')];
  return candidates.find((dir) => existsSync(join(dir, 'PROVENANCE.md')) || existsSync(join(dir, 'models')));
}

/** A path inside the shared assets if that file exists there. */
export function sharedAsset(...parts: string[]): string | undefined {
  const dir = sharedAssetsDir();
  if (!dir) return undefined;
  const path = join(dir, ...parts);
  return existsSync(path) ? path : undefined;
}
