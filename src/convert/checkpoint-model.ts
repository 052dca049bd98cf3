/**
 * From a checkpoint's records to the builder's inputs: the architecture (the yaml the model carries), the weight
 * source (its state_dict, decoded lazily to float32), the class names, and which family's Detect it uses.
 * Checks on the way that the module tree is one edgeopt can convert, naming the first thing that is not.
 */
import { parseArchitecture, type ArchitectureSpec } from '../models/architecture.js';
import type { ModelFamily } from '../models/family.js';
import { blockFor, moduleShortName } from '../models/blocks/registry.js';
import { YOLO_BN_EPS, sameShape, type WeightSource, type WeightTensor } from '../models/weights.js';
import {
  findModel,
  moduleAttr,
  moduleChildren,
  moduleStateDict,
  modelNames,
  modelYaml,
  parameterCount,
  torchTensorToFloat32,
  type Checkpoint,
} from '../pt/checkpoint.js';
import type { PyObject, TorchTensor } from '../pt/types.js';
import { EdgeoptError } from '../util/errors.js';

export interface CheckpointModel {
  spec: ArchitectureSpec;
  weights: WeightSource;
  names: string[];
  family: ModelFamily;
  /** `sum(p.numel() for p in model.parameters())` of the pickled model, to cross-check the build. */
  checkpointParams: number;
}

/** Classes that may appear inside the supported blocks besides the blocks themselves. */
const INNER_CLASSES = new Set([
  'nn.Conv2d',
  'nn.BatchNorm2d',
  'nn.SiLU',
  'nn.Identity',
  'nn.MaxPool2d',
  'nn.Upsample',
  'nn.Sequential',
  'nn.ModuleList',
  'DFL',
  'Attention',
  'PSABlock',
]);

/** Which Detect a head class is: YOLOv5's anchor-based one, or Ultralytics' (any release's module path). */
function detectFamily(className: string): ModelFamily | undefined {
  if (className === 'models.yolo.Detect') return 'yolov5';
  if (className.startsWith('ultralytics.') && className.endsWith('.Detect')) return 'ultralytics';
  return undefined;
}

export function checkpointModel(checkpoint: Checkpoint): CheckpointModel {
  const model = findModel(checkpoint.root);
  const layers = moduleChildren(model).get('model');
  if (!layers) throw new EdgeoptError(`${checkpoint.source}: the model (${model.className}) has no 'model' layer list; not a YOLO detection model`);
  const layerModules = [...moduleChildren(layers).values()];
  const head = layerModules[layerModules.length - 1];
  const family = head ? detectFamily(head.className) : undefined;
  if (!head || !family) {
    const what = head ? `'${head.className}'` : 'nothing';
    throw new EdgeoptError(`${checkpoint.source}: the last layer is ${what}, not a YOLOv5 or Ultralytics Detect head; only detection models are supported`);
  }
  const yaml = modelYaml(model);
  if (!yaml) throw new EdgeoptError(`${checkpoint.source}: the model carries no architecture yaml; cannot rebuild its graph`);
  // YOLOv5 keeps the yaml's file name on the model, Ultralytics inside the yaml dict.
  const yamlFile = moduleAttr(model, 'yaml_file');
  const name = typeof yaml.yaml_file !== 'string' && typeof yamlFile === 'string' ? architectureName(yamlFile) : undefined;
  const spec = parseArchitecture(yaml, family, { name });
  checkLayers(checkpoint.source, spec, layerModules);
  const names = modelNames(model);
  return {
    spec,
    weights: stateDictWeightSource(model),
    names: names.length === spec.nc ? names : Array.from({ length: spec.nc }, (_, i) => names[i] ?? `class${i}`),
    family,
    checkpointParams: parameterCount(model),
  };
}

function architectureName(yamlFile: string): string {
  return (yamlFile.split(/[\\/]/).pop() ?? yamlFile).replace(/\.ya?ml$/i, '');
}

/** Every layer's class must be the yaml's module and a supported block; every inner module a known class. */
function checkLayers(source: string, spec: ArchitectureSpec, layers: PyObject[]): void {
  if (layers.length !== spec.layers.length) {
    throw new EdgeoptError(`${source}: the model has ${layers.length} layers but its yaml describes ${spec.layers.length}`);
  }
  layers.forEach((module, i) => {
    const yamlName = moduleShortName(spec.layers[i]!.module);
    const className = moduleShortName(module.className);
    // A yaml row with repeats > 1 of a plain module is an nn.Sequential of copies.
    if (className !== yamlName && className !== 'nn.Sequential') {
      throw new EdgeoptError(`${source}: layer ${i} is a '${module.className}' but the yaml says '${spec.layers[i]!.module}'`);
    }
    if (!blockFor(yamlName)) throw new EdgeoptError(`${source}: unsupported module class '${module.className}' at layer ${i}`);
    walk(module, `model.${i}`, (child, path) => {
      const name = moduleShortName(child.className);
      if (!INNER_CLASSES.has(name) && !blockFor(name)) {
        throw new EdgeoptError(`${source}: unsupported module class '${child.className}' at ${path}`);
      }
    });
  });
}

function walk(module: PyObject, path: string, visit: (child: PyObject, path: string) => void, seen = new Set<PyObject>()): void {
  for (const [name, child] of moduleChildren(module)) {
    if (seen.has(child)) continue;
    seen.add(child);
    visit(child, `${path}.${name}`);
    walk(child, `${path}.${name}`, visit, seen);
  }
}

/**
 * Per-module facts the state_dict lacks, by module path: each BatchNorm2d's `eps` ('model.0.bn') and the
 * activation of each module that has an `act` child ('model.0' → silu). Shared instances (Conv.default_act is
 * one SiLU for the whole model) are recorded under every path that holds them.
 */
function moduleFacts(model: PyObject): { eps: Map<string, number>; activations: Map<string, 'silu' | 'identity'> } {
  const eps = new Map<string, number>();
  const activations = new Map<string, 'silu' | 'identity'>();
  const visit = (module: PyObject, path: string, active: Set<PyObject>): void => {
    if (active.has(module)) return;
    active.add(module);
    for (const [name, child] of moduleChildren(module)) {
      const childPath = path ? `${path}.${name}` : name;
      const short = moduleShortName(child.className);
      if (short === 'nn.BatchNorm2d') {
        const value = moduleAttr(child, 'eps');
        if (typeof value === 'number') eps.set(childPath, value);
      }
      if (name === 'act' && (short === 'nn.SiLU' || short === 'nn.Identity')) activations.set(path, short === 'nn.SiLU' ? 'silu' : 'identity');
      visit(child, childPath, active);
    }
    active.delete(module);
  };
  visit(model, '', new Set());
  return { eps, activations };
}

/** A weight source over the model's state_dict; tensors are widened to float32 when first asked for. */
function stateDictWeightSource(model: PyObject): WeightSource {
  const stateDict: Map<string, TorchTensor> = moduleStateDict(model);
  const { eps, activations } = moduleFacts(model);
  const decoded = new Map<string, WeightTensor>();
  const get = (key: string): WeightTensor | undefined => {
    let found = decoded.get(key);
    if (!found) {
      const tensor = stateDict.get(key);
      if (!tensor) return undefined;
      found = { data: torchTensorToFloat32(tensor), shape: [...tensor.shape] };
      decoded.set(key, found);
    }
    return found;
  };
  return {
    synthetic: false,
    has: (key) => stateDict.has(key),
    optional: get,
    bnEps: (bnPath) => eps.get(bnPath) ?? YOLO_BN_EPS,
    activation: (path) => activations.get(path),
    tensor(key, shape, layer) {
      const found = get(key);
      if (!found) throw new EdgeoptError(`${layer}: the checkpoint has no tensor '${key}' (its weights do not match its yaml)`);
      if (!sameShape(found.shape, shape)) {
        throw new EdgeoptError(`${layer}: '${key}' has shape [${found.shape.join(',')}] but the yaml implies [${shape.join(',')}]`);
      }
      return found.data;
    },
  };
}
