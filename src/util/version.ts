/**
 * edgeopt's version, read once from package.json: the one place it is written. `--version`, results.json's
 * `tool.version`, the store's run records, ONNX producer stamps and reports all use this constant.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './assets.js';

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string' || pkg.version === '') throw new Error(`no version in ${join(PACKAGE_ROOT, 'package.json')}`);
  return pkg.version;
}

export const TOOL_VERSION: string = readVersion();
