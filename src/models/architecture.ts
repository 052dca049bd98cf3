/**
 * The architecture of a YOLO detector as its yaml describes it (`yolov5n.yaml`, Ultralytics `yolov8.yaml` with
 * `scales`), parsed into a typed record. Checkpoints carry this yaml as a dict; the built-in default models embed
 * it as TypeScript data (zoo.ts). The graph builder resolves depth/width multipliers the way the official
 * `parse_model` functions do.
 */
import { EdgeoptError } from '../util/errors.js';
import { roundHalfToEven } from '../util/rounding.js';
import type { ModelFamily } from './family.js';


/** One row of the yaml's backbone/head list: `[from, repeats, module, args]`. */
export interface LayerSpec {
  from: number | number[];
  repeats: number;
  /** Module name as the yaml writes it: 'Conv', 'C3', 'nn.Upsample', 'Detect', … */
  module: string;
  /** Raw yaml arguments; the strings 'nc', 'anchors' and 'None' are resolved by the builder. */
  args: unknown[];
}

export interface ArchitectureSpec {
  family: ModelFamily;
  /** Short name such as 'yolov5n' (from `yaml_file`), for messages and metadata. */
  name: string;
  nc: number;
  depthMultiple: number;
  widthMultiple: number;
  /** The Ultralytics scale letter in use ('n', 's', …), when the yaml has `scales`. */
  scale?: string;
  /** Channel cap before width scaling (Ultralytics scales' third value); Infinity for YOLOv5 yamls. */
  maxChannels: number;
  /** YOLOv5 anchors in pixels, one list of (w, h) pairs flattened per detection level. */
  anchors?: number[][];
  layers: LayerSpec[];
  /** Input channels (3). */
  ch: number;
}

/**
 * Parses a yaml dict (as the checkpoint reader converts it to plain JS) into an {@link ArchitectureSpec}.
 * `family` decides the Detect head; `scale` overrides the yaml's own `scale` key.
 */
export function parseArchitecture(yaml: unknown, family: ModelFamily, options: { name?: string; scale?: string } = {}): ArchitectureSpec {
  if (!isRecord(yaml)) throw new EdgeoptError('model architecture (yaml) is missing or not a dict');
  const nc = Number(yaml.nc);
  if (!Number.isInteger(nc) || nc < 1 || nc > 100_000) throw new EdgeoptError(`model yaml: nc must be a positive integer, got ${String(yaml.nc)}`);
  let depthMultiple = 1;
  let widthMultiple = 1;
  let maxChannels = Number.POSITIVE_INFINITY;
  let scale: string | undefined;
  if (isRecord(yaml.scales)) {
    const scales = yaml.scales;
    const keys = Object.keys(scales);
    scale = options.scale ?? (typeof yaml.scale === 'string' ? yaml.scale : keys[0]);
    const values = scale === undefined ? undefined : scales[scale];
    if (!Array.isArray(values) || values.length < 2) {
      throw new EdgeoptError(`model yaml: scale '${String(scale)}' is not one of its scales (${keys.join(', ')})`);
    }
    [depthMultiple, widthMultiple] = [Number(values[0]), Number(values[1])];
    if (values.length > 2) maxChannels = Number(values[2]);
  } else {
    if (yaml.depth_multiple !== undefined) depthMultiple = Number(yaml.depth_multiple);
    if (yaml.width_multiple !== undefined) widthMultiple = Number(yaml.width_multiple);
  }
  if (!(depthMultiple > 0 && widthMultiple > 0 && maxChannels > 0)) {
    throw new EdgeoptError(`model yaml: depth/width multiples must be positive (got ${depthMultiple}, ${widthMultiple})`);
  }
  const backbone = yaml.backbone;
  const head = yaml.head;
  if (!Array.isArray(backbone) || !Array.isArray(head)) throw new EdgeoptError('model yaml: backbone and head must be lists');
  const layers = [...backbone, ...head].map((row, i) => parseLayer(row, i));
  const anchors = parseAnchors(yaml.anchors);
  const yamlFile = typeof yaml.yaml_file === 'string' ? yaml.yaml_file : undefined;
  const name = options.name ?? (yamlFile ? stem(yamlFile) : family === 'yolov5' ? 'yolov5' : 'yolo');
  const ch = yaml.ch === undefined ? 3 : Number(yaml.ch);
  return { family, name, nc, depthMultiple, widthMultiple, scale, maxChannels, anchors, layers, ch };
}

function parseLayer(row: unknown, index: number): LayerSpec {
  if (!Array.isArray(row) || row.length !== 4) throw new EdgeoptError(`model yaml: layer ${index} is not [from, repeats, module, args]`);
  const [from, repeats, module, args] = row as [unknown, unknown, unknown, unknown];
  const validFrom = typeof from === 'number' || (Array.isArray(from) && from.length > 0 && from.every((f) => typeof f === 'number'));
  if (!validFrom) throw new EdgeoptError(`model yaml: layer ${index} has an invalid 'from' (${JSON.stringify(from)})`);
  if (typeof repeats !== 'number' || !Number.isInteger(repeats) || repeats < 1) {
    throw new EdgeoptError(`model yaml: layer ${index} has an invalid repeat count (${JSON.stringify(repeats)})`);
  }
  if (typeof module !== 'string') throw new EdgeoptError(`model yaml: layer ${index} has no module name`);
  if (!Array.isArray(args)) throw new EdgeoptError(`model yaml: layer ${index} (${module}) arguments are not a list`);
  return { from: from as number | number[], repeats, module, args };
}

function parseAnchors(value: unknown): number[][] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((row) => Array.isArray(row) && row.length % 2 === 0 && row.every((v) => typeof v === 'number'))) {
    // An integer here means "this many anchors per level, computed by autoanchor": only the checkpoint knows them.
    if (typeof value === 'number') return undefined;
    throw new EdgeoptError('model yaml: anchors must be lists of (w, h) pairs');
  }
  return value as number[][];
}

function stem(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.ya?ml$/i, '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Channel count rounded up to a multiple of `divisor` (the official `make_divisible`). */
export function makeDivisible(x: number, divisor = 8): number {
  return Math.ceil(x / divisor) * divisor;
}

/** Python's round(): halves go to the even neighbour, which the official depth scaling relies on. */

/** Repeats after depth scaling: `max(round(n * depth), 1) if n > 1 else n`. */
export function scaledDepth(repeats: number, depthMultiple: number): number {
  return repeats > 1 ? Math.max(roundHalfToEven(repeats * depthMultiple), 1) : repeats;
}

/** Output channels after width scaling: `make_divisible(min(c, max_channels) * width, 8)`. */
export function scaledWidth(channels: number, spec: Pick<ArchitectureSpec, 'widthMultiple' | 'maxChannels'>): number {
  return makeDivisible(Math.min(channels, spec.maxChannels) * spec.widthMultiple, 8);
}
