/**
 * How a dataset's classes meet the model's. YOLO labels are class ids the model was trained with, so they map
 * by index (names, when both sides have them, are only compared — unless they are the same set in another
 * order, then by name); COCO categories and VOC names map by name. Every mismatch becomes a line printed
 * before evaluating, so a wrong class map is never a silent change in mAP.
 */
import { EdgeoptError } from '../util/errors.js';

export interface ClassMapping {
  by: 'index' | 'name';
  /** Model class of each dataset class, by dataset class index; undefined = identity (no dataset names). */
  toModel?: Array<number | undefined>;
  /** Dataset classes the model does not have (their boxes are left out of the evaluation). */
  unmatched: string[];
  /** Lines for the user, printed before evaluating. */
  notes: string[];
}

/** VOC's names for classes COCO names differently (after normalising case, spaces and punctuation). */
const ALIASES: Record<string, string> = { aeroplane: 'airplane', motorbike: 'motorcycle', sofa: 'couch', tvmonitor: 'tv' };

const normalise = (name: string): string => name.toLowerCase().replace(/[^a-z0-9]/g, '');

function findByName(name: string, modelIndex: Map<string, number>): number | undefined {
  const key = normalise(name);
  return modelIndex.get(key) ?? (ALIASES[key] !== undefined ? modelIndex.get(normalise(ALIASES[key]!)) : undefined);
}

const list = (items: string[], max = 6) => (items.length > max ? `${items.slice(0, max).join(', ')} and ${items.length - max} more` : items.join(', '));

export function mapClasses(
  dataset: { names?: readonly string[]; classMatch: 'index' | 'name'; source: string },
  model: { names?: readonly string[]; numClasses?: number },
): ClassMapping {
  const modelIndex = new Map((model.names ?? []).map((n, i) => [normalise(n), i]));
  const byName = (names: readonly string[]): ClassMapping => {
    const toModel = names.map((n) => findByName(n, modelIndex));
    const unmatched = names.filter((_, i) => toModel[i] === undefined);
    if (unmatched.length === names.length) {
      throw new EdgeoptError(`none of the ${names.length} dataset classes (${list([...names])}) is among the model's ${model.names!.length} classes (${list([...model.names!])})`);
    }
    const renamed = names.flatMap((n, i) => {
      const m = toModel[i];
      return m !== undefined && normalise(n) !== normalise(model.names![m]!) ? [`${n} → ${model.names![m]}`] : [];
    });
    const notes = [
      ...(unmatched.length ? [`${unmatched.length} of ${names.length} dataset classes are not among the model's classes and are left out: ${list(unmatched)}`] : []),
      ...(renamed.length ? [`dataset classes matched to model classes of another name: ${list(renamed, 10)}`] : []),
    ];
    return { by: 'name', toModel, unmatched, notes };
  };

  const names = dataset.names;
  if (dataset.classMatch === 'name') {
    if (!names) throw new EdgeoptError(`${dataset.source}: the dataset has no class names to match`);
    if (!model.names) throw new EdgeoptError(`the model has no class names (no 'names' metadata), so the dataset's categories cannot be matched to its classes; pass --classes <file>`);
    return byName(names);
  }
  const notes: string[] = [];
  if (names && model.numClasses !== undefined && names.length > model.numClasses) {
    notes.push(`the dataset has ${names.length} classes but the model ${model.numClasses}: labels of classes ${model.numClasses}..${names.length - 1} are skipped`);
  }
  if (!names || !model.names) return { by: 'index', unmatched: [], notes };
  const differ = names.flatMap((n, i) => (i < model.names!.length && normalise(n) !== normalise(model.names![i]!) ? [i] : []));
  if (differ.length === 0) return { by: 'index', unmatched: [], notes };
  const sameSet = names.every((n) => modelIndex.has(normalise(n)));
  if (sameSet) {
    const mapped = byName(names);
    return { ...mapped, notes: [...notes, `the dataset lists the model's classes in another order: labels are mapped by name (${list(differ.map((i) => `${i} ${names[i]} → ${mapped.toModel![i]}`))})`] };
  }
  notes.push(`class names differ between the dataset and the model (labels are read as the model's class ids): ${list(differ.map((i) => `${i} is '${names[i]}' in the dataset, '${model.names![i]}' in the model`), 5)}`);
  return { by: 'index', unmatched: [], notes };
}
