import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EdgeoptError, describeError } from './errors.js';

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
}

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one, never a
 * half-written file: the bytes go to a temp file in the same directory, which is then renamed.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Synchronous twin of {@link writeFileAtomic}, for signal handlers and exit paths. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** Fails with a one-line EdgeoptError when `path` is missing or not a regular file. */
export async function assertReadableFile(path: string, what = 'file'): Promise<number> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new EdgeoptError(`${what} is not a regular file: ${path}`);
    size = info.size;
  } catch (err) {
    if (err instanceof EdgeoptError) throw err;
    throw new EdgeoptError(`${what} not found: ${path}`);
  }
  return size;
}

/** Size of a file in bytes, or undefined when it does not exist. */
export function fileSizeOrUndefined(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

/** Reads and parses a JSON file with one-line errors naming what the file was meant to be. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new EdgeoptError(`${what} not found: ${path}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new EdgeoptError(`${what} ${path} is not valid JSON (${describeError(err)})`);
  }
}
