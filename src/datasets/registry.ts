/**
 * The dataset formats edgeopt reads, asked in order (the most specific first): `--data` may be a folder, a
 * data.yaml or a COCO annotations .json, and the first loader that recognises it opens it. A new format is one
 * loader file and one line here.
 */
import { stat } from 'node:fs/promises';
import { EdgeoptError } from '../util/errors.js';
import { cocoJsonLoader } from './coco-json.js';
import { FORMAT_NAMES, type Dataset, type DatasetLoader, type OpenDatasetOptions } from './types.js';
import { ultralyticsYamlLoader } from './ultralytics-yaml.js';
import { vocLoader } from './voc.js';
import { yoloLoader } from './yolo.js';

export const DATASET_LOADERS: readonly DatasetLoader[] = [cocoJsonLoader, ultralyticsYamlLoader, vocLoader, yoloLoader];

/** Opens a dataset in whichever supported format `path` is. */
export async function openDataset(path: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  try {
    await stat(path);
  } catch {
    throw new EdgeoptError(`dataset not found: ${path}`);
  }
  for (const loader of DATASET_LOADERS) {
    if (await loader.detect(path)) {
      if (options.images !== undefined && loader.format !== 'coco-json' && loader.format !== 'voc') {
        throw new EdgeoptError(`--images is for COCO JSON and VOC annotations; ${path} is a ${FORMAT_NAMES[loader.format]}, whose labels sit beside its images`);
      }
      return loader.open(path, options);
    }
  }
  throw new EdgeoptError(`cannot read ${path} as a dataset: pass a folder (images/ + labels/, or VOC Annotations/), a data.yaml, or a COCO annotations .json`);
}

/** "COCO JSON: 128 images in …, 939 annotations (10 crowd), 80 categories" */
export function describeDataset(dataset: Dataset): string {
  return `${FORMAT_NAMES[dataset.format]}: ${dataset.description}`;
}
