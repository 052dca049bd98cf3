/** File-system helpers the dataset loaders share. */
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { IMAGE_EXTENSIONS } from '../image/preprocess.js';

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export function isImageFile(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

/** Image files under `dir`, recursively, sorted by path (so runs are reproducible). */
export async function listImages(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && isImageFile(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The image's file name without its extension. */
export function imageStem(imagePath: string): string {
  return basename(imagePath, extname(imagePath));
}

/**
 * Numeric image ids for formats that have none: the file stem when every stem is a distinct number (COCO's
 * own file names, so the ids match the official annotations), otherwise 1, 2, 3, … in path order.
 */
export function assignImageIds(imagePaths: readonly string[]): number[] {
  const stems = imagePaths.map(imageStem);
  const numeric = stems.every((s) => /^\d{1,15}$/.test(s)) && new Set(stems.map(Number)).size === stems.length;
  return numeric ? stems.map(Number) : imagePaths.map((_, i) => i + 1);
}
