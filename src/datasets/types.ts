/**
 * One interface for every dataset format (YOLO folders, Ultralytics data.yaml, COCO JSON, Pascal VOC XML):
 * a loader turns files into samples — an image path plus its boxes in the dataset's own classes — and the
 * entries it had to reject, named by file:line. Loaders only read; checking boxes against the decoded image,
 * mapping classes to the model's and counting bad data happen after them, the same for every format.
 */
import type { Box } from '../image/letterbox.js';

export type DatasetFormat = 'yolo' | 'ultralytics-yaml' | 'coco-json' | 'voc';

/** Readable names of the formats, for the line that says which one was detected. */
export const FORMAT_NAMES: Record<DatasetFormat, string> = {
  yolo: 'YOLO folder (images/ + labels/)',
  'ultralytics-yaml': 'Ultralytics data.yaml',
  'coco-json': 'COCO JSON',
  voc: 'Pascal VOC XML',
};

export interface SampleBox {
  /** Class index in the dataset's own class list (`Dataset.names`); YOLO: the label's class id. */
  classId: number;
  /** x1, y1, x2, y2: in pixels, or normalised 0..1 when the sample says `normalized`. */
  box: Box;
  /** Where the box came from, for warnings: 'labels/a.txt:3', 'instances.json: annotation 17', 'a.xml: object 2'. */
  where: string;
  /** COCO `iscrowd`: an ignored region that any number of detections may match (IoU over the detection's area). */
  crowd?: boolean;
  /** VOC `difficult`: ignored, as the VOC devkit does (a detection on it is neither a true nor a false positive). */
  difficult?: boolean;
}

/** An entry a loader could not read (bad number, missing field, …). */
export interface RejectedEntry {
  where: string;
  /** Short category for counting: 'not numeric', 'wrong field count', 'unknown category', … */
  reason: string;
  detail: string;
}

export interface DatasetSample {
  imagePath: string;
  /** Numeric image id (COCO `id`; for other formats the file stem when every stem is a number, else a counter). */
  imageId: number;
  /** Label or annotation file (undefined for COCO JSON, where all are in one file, and for background images). */
  labelFile?: string;
  /** True for an image without any label file (YOLO background image). */
  background: boolean;
  normalized: boolean;
  boxes: SampleBox[];
  rejected: RejectedEntry[];
  /** Image size the annotations declare (COCO, VOC), to compare with the decoded image. */
  declaredSize?: { width: number; height: number };
  /** Set when the image cannot be used at all (missing file, unreadable annotation file). */
  problem?: { reason: string; detail: string };
}

export interface Dataset {
  format: DatasetFormat;
  /** What the user passed. */
  source: string;
  /** One line: format, where images and labels are, counts. */
  description: string;
  /** The dataset's class names by class index, when it has them (YOLO folders have none). */
  names?: string[];
  /**
   * How dataset classes meet the model's: 'index' (YOLO labels are the model's class ids) or 'name'
   * (COCO categories and VOC names are matched to the model's class names).
   */
  classMatch: 'index' | 'name';
  /** COCO category id of each dataset class (COCO JSON only): what predictions are written with. */
  categoryIds?: number[];
  imageCount: number;
  /** What a label is called in this format, for counts: 'label lines' or 'annotations'. */
  labelUnit: 'label lines' | 'annotations';
  /** Entries that belong to no image (COCO annotations with an unknown image id): counted as bad labels. */
  orphans: RejectedEntry[];
  /** Image paths in order (calibration uses these). */
  imagePaths: string[];
  samples(options?: { maxImages?: number }): AsyncGenerator<DatasetSample>;
}

export interface OpenDatasetOptions {
  /** Folder with the images when they are not where the annotations say (COCO JSON, VOC). */
  images?: string;
  /** data.yaml split to read: 'val' for evaluation (default), 'train' for calibration. */
  split?: 'val' | 'train' | 'test';
}

export interface DatasetLoader {
  format: DatasetFormat;
  /** Whether `path` looks like this format (cheap checks on names and folders only). */
  detect(path: string): Promise<boolean>;
  open(path: string, options: OpenDatasetOptions): Promise<Dataset>;
}
