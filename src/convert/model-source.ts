/**
 * What `--model <spec>` names: an ONNX file, a `.pt` checkpoint, an official release checkpoint by name (looked
 * up in the cache directory and checked against its sha256), or the built-in synthetic default. Downloading is a
 * separate, explicit step ({@link fetchOfficialModel}) because most machines edgeopt runs on have no internet.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { extname, join } from 'node:path';
import { DEFAULT_MODEL_NAME } from '../models/defaults.js';
import type { BuiltinArchitecture } from '../models/zoo.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';

export type OfficialModelName = 'yolov5n' | 'yolov5nu' | 'yolov8n';

export interface OfficialModel {
  name: OfficialModelName;
  fileName: string;
  url: string;
  /** sha256 of the release asset when known; files without one are accepted unverified. */
  sha256?: string;
  /** The architecture of the built-in synthetic stand-in, when there is one. */
  builtin?: BuiltinArchitecture;
}

export const OFFICIAL_MODELS: Readonly<Record<OfficialModelName, OfficialModel>> = {
  yolov5n: {
    name: 'yolov5n',
    fileName: 'yolov5n.pt',
    url: 'https://github.com/ultralytics/yolov5/releases/download/v7.0/yolov5n.pt',
    sha256: '4f180cf23ba0717ada0badd6c685026d73d48f184d00fc159c2641284b2ac0a3',
    builtin: 'yolov5n',
  },
  yolov5nu: {
    name: 'yolov5nu',
    fileName: 'yolov5nu.pt',
    url: 'https://github.com/ultralytics/assets/releases/download/v8.3.0/yolov5nu.pt',
    builtin: 'yolov5nu',
  },
  yolov8n: {
    name: 'yolov8n',
    fileName: 'yolov8n.pt',
    url: 'https://github.com/ultralytics/assets/releases/download/v8.3.0/yolov8n.pt',
    builtin: 'yolov8n',
  },
};

export type ModelSource =
  | { kind: 'onnx'; path: string }
  | { kind: 'checkpoint'; path: string; official?: OfficialModel; verified?: boolean }
  | { kind: 'builtin'; name: BuiltinArchitecture; synthetic: true };

export interface ModelSourceOptions {
  /** Cache directory; default $EDGEOPT_CACHE or ~/.cache/edgeopt. */
  cacheDir?: string;
  /** Environment to read EDGEOPT_CACHE from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export function modelCacheDir(options: ModelSourceOptions = {}): string {
  if (options.cacheDir) return options.cacheDir;
  const env = options.env ?? process.env;
  return env.EDGEOPT_CACHE || join(homedir(), '.cache', 'edgeopt');
}

/** One line telling the user where to put an official checkpoint by hand. */
function missingMessage(model: OfficialModel, path: string): string {
  const fallback = model.builtin ? `, or use --model default for the built-in synthetic ${DEFAULT_MODEL_NAME}` : '';
  return `${model.fileName} is not available offline: download ${model.url} and save it as ${path}${fallback}`;
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * Resolves a `--model` spec without touching the network: a path ending in .onnx or .pt, 'default' (the
 * built-in synthetic YOLOv5n), or an official name whose release file must already be in the cache.
 */
export function resolveModelSource(spec: string, options: ModelSourceOptions = {}): ModelSource {
  if (spec === 'default') return { kind: 'builtin', name: DEFAULT_MODEL_NAME, synthetic: true };
  const official = OFFICIAL_MODELS[spec as OfficialModelName];
  if (official && !existsSync(spec)) {
    const path = join(modelCacheDir(options), official.fileName);
    if (!existsSync(path)) throw new EdgeoptError(missingMessage(official, path));
    const verified = verifyOfficialFile(official, path);
    return { kind: 'checkpoint', path, official, verified };
  }
  const extension = extname(spec).toLowerCase();
  if (extension !== '.onnx' && extension !== '.pt' && extension !== '.pth') {
    throw new EdgeoptError(
      `--model '${spec}' is neither a .onnx/.pt file nor one of: default, ${Object.keys(OFFICIAL_MODELS).join(', ')}`,
    );
  }
  let isFile = false;
  try {
    isFile = statSync(spec).isFile();
  } catch {
    throw new EdgeoptError(`model not found: ${spec}`);
  }
  if (!isFile) throw new EdgeoptError(`model is not a regular file: ${spec}`);
  return extension === '.onnx' ? { kind: 'onnx', path: spec } : { kind: 'checkpoint', path: spec };
}

/** True when the file's sha256 is the release's; throws when it is known and differs. */
function verifyOfficialFile(model: OfficialModel, path: string): boolean {
  if (!model.sha256) return false;
  const actual = sha256File(path);
  if (actual !== model.sha256) {
    throw new EdgeoptError(`${path} is not the official ${model.fileName} (sha256 ${actual.slice(0, 12)}…, expected ${model.sha256.slice(0, 12)}…); delete it or download ${model.url} again`);
  }
  return true;
}

/**
 * Downloads an official checkpoint into the cache (checksum-verified when known, written atomically). Any
 * failure — no network, timeout, HTTP error, wrong checksum — is one line saying where to put the file by hand.
 */
export async function fetchOfficialModel(name: OfficialModelName, options: ModelSourceOptions & { timeoutMs?: number } = {}): Promise<string> {
  const model = OFFICIAL_MODELS[name];
  if (!model) throw new EdgeoptError(`no official model named '${name}' (choose ${Object.keys(OFFICIAL_MODELS).join(', ')})`);
  const path = join(modelCacheDir(options), model.fileName);
  if (existsSync(path)) {
    verifyOfficialFile(model, path);
    return path;
  }
  let bytes: Uint8Array;
  try {
    const response = await fetch(model.url, { signal: AbortSignal.timeout(options.timeoutMs ?? 15_000), redirect: 'follow' });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (err) {
    throw new EdgeoptError(`could not download ${model.fileName} (${describeError(err)}): ${missingMessage(model, path)}`);
  }
  if (model.sha256) {
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== model.sha256) throw new EdgeoptError(`downloaded ${model.fileName} has the wrong sha256 (${actual.slice(0, 12)}…): ${missingMessage(model, path)}`);
  }
  await writeFileAtomic(path, bytes);
  return path;
}
