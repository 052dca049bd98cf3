/**
 * What is inside a checkpoint, as one versioned record: container facts, the module classes used,
 * the architecture its yaml describes, class names, parameter counts by dtype and training metadata.
 * A pure function of a {@link Checkpoint}; the `inspect` command prints it.
 */
import {
  findModel,
  isTorchTensor,
  moduleStateDict,
  modelNames,
  modelStride,
  modelYaml,
  moduleTree,
  parameterCount,
  pyGet,
  pyToJs,
  tensorElementCount,
  type Checkpoint,
} from './checkpoint.js';
import { compareAscii } from '../util/digits.js';
import { isRecord, kindOf } from './pickle.js';
import { DTYPE_BYTES } from './torch-globals.js';
import type { PyDict, TorchDtype, TorchTensor } from './types.js';

export interface CheckpointSummary {
  schemaVersion: 1;
  file: string;
  format: 'torch-zip';
  /** Zip archive prefix, e.g. 'archive/'. */
  prefix: string;
  /** torch serialization version (the zip's `version` entry). */
  serializationVersion: string;
  storages: number;
  /** Which checkpoint entry holds the model ('ema' or 'model'; 'root' for a bare module). */
  modelKey: 'ema' | 'model' | 'root';
  modelClass: string;
  /** 'yolov5' (ultralytics/yolov5 repo), 'ultralytics' (YOLOv5u/v8/11 package) or 'unknown'. */
  family: 'yolov5' | 'ultralytics' | 'unknown';
  /** Module instances by fully qualified class, most frequent first (shared instances once). */
  classes: Array<{ className: string; count: number }>;
  architecture: ArchitectureSummary | null;
  names: string[];
  parameters: {
    /** sum(p.numel() for p in model.parameters()). */
    count: number;
    /** Tensors in the state_dict (parameters and persistent buffers). */
    stateDictTensors: number;
    /** Elements of state_dict tensors per dtype. */
    dtypes: Partial<Record<TorchDtype, number>>;
    /** Bytes those tensors occupy in the file. */
    bytes: number;
  };
  /** Top-level entries: key → short type ('str', 'int', 'None', 'DetectionModel object', 'dict'…). */
  topLevel: Array<{ key: string; type: string }>;
  training: TrainingSummary;
}

export interface ArchitectureSummary {
  nc: number | null;
  depthMultiple: number | null;
  widthMultiple: number | null;
  /** Ultralytics scale letter ('n', 's', …) when the yaml names one. */
  scale: string | null;
  yamlFile: string | null;
  /** Layer module types in order, e.g. ['Conv', 'Conv', 'C3', …]. */
  backbone: string[];
  head: string[];
  stride: number[];
  anchors: number[][] | null;
}

export interface TrainingSummary {
  date: string | null;
  epoch: number | null;
  /** Ultralytics package version that wrote it ('8.3.40'); YOLOv5 files carry none. */
  version: string | null;
  bestFitness: number | null;
  /** Run name, task, dataset, image size and epochs from `train_args` (Ultralytics) or `opt` (YOLOv5). */
  name: string | null;
  task: string | null;
  data: string | null;
  imgsz: number | null;
  epochs: number | null;
  gitCommit: string | null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function layerTypes(layers: unknown): string[] {
  if (!Array.isArray(layers)) return [];
  return layers.map((layer) => (Array.isArray(layer) && typeof layer[2] === 'string' ? layer[2] : '?'));
}

function architectureOf(yaml: Record<string, unknown> | undefined, stride: number[]): ArchitectureSummary | null {
  if (!yaml) return null;
  const scale = str(yaml.scale);
  let depth = num(yaml.depth_multiple);
  let width = num(yaml.width_multiple);
  // Ultralytics yamls list every scale: scales: {n: [depth, width, max_channels], …}.
  const scales = yaml.scales as Record<string, unknown> | undefined;
  const row = scale && scales && Array.isArray(scales[scale]) ? (scales[scale] as unknown[]) : null;
  if (row) {
    depth ??= num(row[0]);
    width ??= num(row[1]);
  }
  const anchors = Array.isArray(yaml.anchors) ? (yaml.anchors as unknown[]).filter(Array.isArray).map((a) => (a as unknown[]).map(Number)) : null;
  return {
    nc: num(yaml.nc),
    depthMultiple: depth,
    widthMultiple: width,
    scale,
    yamlFile: str(yaml.yaml_file),
    backbone: layerTypes(yaml.backbone),
    head: layerTypes(yaml.head),
    stride,
    anchors,
  };
}

function trainingOf(root: Record<string, unknown>): TrainingSummary {
  const args = (root.train_args ?? root.opt ?? {}) as Record<string, unknown>;
  const git = root.git as Record<string, unknown> | undefined;
  const imgsz = Array.isArray(args.imgsz) ? num(args.imgsz[0]) : num(args.imgsz ?? args.img_size);
  return {
    date: str(root.date),
    epoch: num(root.epoch),
    version: str(root.version),
    bestFitness: num(root.best_fitness),
    name: str(args.name),
    task: str(args.task),
    data: str(args.data),
    imgsz,
    epochs: num(args.epochs),
    gitCommit: git && typeof git === 'object' ? str(git.commit) : null,
  };
}

/** Summarises a checkpoint read by readCheckpoint(). Throws EdgeoptError when it holds no model. */
export function summarizeCheckpoint(checkpoint: Checkpoint): CheckpointSummary {
  const { root } = checkpoint;
  const model = findModel(root);
  const modelKey = model === root ? 'root' : pyGet(root, 'ema') === model ? 'ema' : 'model';

  const classCounts = new Map<string, number>();
  for (const m of moduleTree(model)) classCounts.set(m.className, (classCounts.get(m.className) ?? 0) + 1);
  const classes = [...classCounts].map(([className, count]) => ({ className, count })).sort((a, b) => b.count - a.count || compareAscii(a.className, b.className));

  const seen = new Set<TorchTensor>();
  const dtypes: Partial<Record<TorchDtype, number>> = {};
  let bytes = 0;
  const stateDict = moduleStateDict(model);
  for (const t of stateDict.values()) {
    if (seen.has(t)) continue;
    seen.add(t);
    const n = tensorElementCount(t);
    dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + n;
    bytes += n * DTYPE_BYTES[t.dtype];
  }

  const topLevel = isRecord(root, 'dict')
    ? (root as PyDict).entries.map(([k, v]) => ({ key: String(k), type: isTorchTensor(v) ? `tensor ${v.dtype}` : kindOf(v) }))
    : [{ key: '(root)', type: kindOf(root) }];
  const rootJs = (isRecord(root, 'dict') ? pyToJs({ ...(root as PyDict), entries: (root as PyDict).entries.filter(([k]) => k !== 'model' && k !== 'ema' && k !== 'optimizer') }) : {}) as Record<string, unknown>;

  const family = model.className.startsWith('ultralytics.') ? 'ultralytics' : model.className.startsWith('models.') ? 'yolov5' : 'unknown';
  return {
    schemaVersion: 1,
    file: checkpoint.source,
    format: checkpoint.format,
    prefix: checkpoint.prefix,
    serializationVersion: checkpoint.version,
    storages: checkpoint.storageCount,
    modelKey,
    modelClass: model.className,
    family,
    classes,
    architecture: architectureOf(modelYaml(model), modelStride(model)),
    names: modelNames(model),
    parameters: { count: parameterCount(model), stateDictTensors: stateDict.size, dtypes, bytes },
    topLevel,
    training: trainingOf(Array.isArray(rootJs) ? {} : rootJs),
  };
}
