/**
 * Ultralytics `data.yaml`: `path` (the dataset root), `train`/`val`/`test` entries — each a folder, a .txt list
 * of image paths, or a list of those — and `names` as a list or an `{id: name}` map. Labels follow the
 * Ultralytics rule (…/images/…/x.jpg → …/labels/…/x.txt) and are read by the YOLO loader.
 */
import { readFile } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EdgeoptError, describeError } from '../util/errors.js';
import { isDirectory, isFile, isImageFile, listImages } from './files.js';
import type { Dataset, DatasetLoader, OpenDatasetOptions } from './types.js';
import { ultralyticsLabelPath, yoloSamples } from './yolo.js';

const YAML_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Reads `names` as a list or a map of class id → name; undefined when absent. */
export function parseYamlNames(value: unknown, file: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((n) => String(n));
  if (typeof value === 'object') {
    const names: string[] = [];
    for (const [key, name] of Object.entries(value as Record<string, unknown>)) {
      const id = Number(key);
      if (!Number.isInteger(id) || id < 0) throw new EdgeoptError(`${file}: names: '${key}' is not a class id (expected 0, 1, 2, …)`);
      names[id] = String(name);
    }
    const gap = Array.from(names, (n) => n).findIndex((n) => n === undefined);
    if (gap >= 0) throw new EdgeoptError(`${file}: names: class ${gap} has no name (ids must run 0..${names.length - 1})`);
    return names;
  }
  throw new EdgeoptError(`${file}: names must be a list or a map of class id to name`);
}

/** The dataset root: `path` relative to the yaml's folder, else to the working directory (Ultralytics' habit). */
async function datasetRoot(declared: unknown, file: string): Promise<string> {
  const yamlDir = dirname(resolve(file));
  if (declared === undefined || declared === null || declared === '') return yamlDir;
  if (typeof declared !== 'string') throw new EdgeoptError(`${file}: path must be a folder name`);
  if (isAbsolute(declared)) return declared;
  const candidates = [resolve(yamlDir, declared), resolve(declared)];
  for (const c of candidates) if (await isDirectory(c)) return c;
  throw new EdgeoptError(`${file}: dataset root '${declared}' not found (tried ${candidates.join(' and ')})`);
}

/** The images one split entry stands for: a folder (recursive), a .txt list, or one image file. */
async function entryImages(entry: string, root: string, file: string): Promise<string[]> {
  const path = isAbsolute(entry) ? entry : resolve(root, entry);
  if (await isDirectory(path)) return listImages(path);
  if (!(await isFile(path))) throw new EdgeoptError(`${file}: '${entry}' not found (looked for ${path})`);
  if (isImageFile(path)) return [path];
  if (extname(path).toLowerCase() !== '.txt') throw new EdgeoptError(`${file}: '${entry}' is neither a folder, an image list (.txt) nor an image`);
  const listDir = dirname(path);
  return (await readFile(path, 'utf8'))
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    // Lists hold paths relative to the list's own folder ('./images/x.jpg'), as in Ultralytics' COCO lists.
    .map((l) => (isAbsolute(l) ? l : resolve(listDir, l)));
}

export async function openUltralyticsYaml(file: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new EdgeoptError(`cannot read ${file}: ${describeError(err)}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new EdgeoptError(`${file} is not valid YAML: ${describeError(err)}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new EdgeoptError(`${file}: expected a YAML mapping with path, train/val and names`);
  const data = doc as Record<string, unknown>;
  const split = options.split ?? 'val';
  const entry = data[split];
  if (entry === undefined || entry === null) {
    const present = ['train', 'val', 'test'].filter((k) => data[k] !== undefined && data[k] !== null);
    throw new EdgeoptError(`${file} has no '${split}' entry${present.length ? ` (it has ${present.join(', ')})` : ''}`);
  }
  const entries = (Array.isArray(entry) ? entry : [entry]).map(String);
  const root = await datasetRoot(data.path, file);
  const images = [...new Set((await Promise.all(entries.map((e) => entryImages(e, root, file)))).flat())];
  if (images.length === 0) throw new EdgeoptError(`${file}: the '${split}' split (${entries.join(', ')}) holds no images`);
  const names = parseYamlNames(data.names, file);
  const nc = data.nc;
  if (names && nc !== undefined && Number(nc) !== names.length) {
    throw new EdgeoptError(`${file}: nc is ${String(nc)} but names lists ${names.length} classes`);
  }
  return {
    format: 'ultralytics-yaml',
    source: file,
    description: `'${split}' split: ${images.length} images (${entries.join(', ')} under ${root})${names ? `, ${names.length} class names` : ''}`,
    names,
    classMatch: 'index',
    imageCount: images.length,
    labelUnit: 'label lines',
    orphans: [],
    imagePaths: images,
    samples: (o = {}) => yoloSamples(images, ultralyticsLabelPath, o),
  };
}

export const ultralyticsYamlLoader: DatasetLoader = {
  format: 'ultralytics-yaml',
  async detect(path) {
    if (YAML_EXTENSIONS.has(extname(path).toLowerCase())) return isFile(path);
    // A dataset folder holding its data.yaml and no images/ of its own.
    return (await isFile(join(path, 'data.yaml'))) && !(await isDirectory(join(path, 'images')));
  },
  async open(path, options) {
    return openUltralyticsYaml((await isDirectory(path)) ? join(path, 'data.yaml') : path, options);
  },
};
