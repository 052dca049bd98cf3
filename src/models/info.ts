/** What a built YOLO model is, in its own module so that build.ts and metadata.ts both read it without a cycle. */
import type { ModelFamily } from './family.js';

/** What the builder made: the family, size and settings of a built graph (results.json's model record is `ModelInfo`). */
export interface BuiltModelInfo {
  family: ModelFamily;
  /** Architecture name such as 'yolov5n' or 'yolo11n'. */
  architecture: string;
  nc: number;
  names: string[];
  /** Parameters of the unfused torch model (what the official `model.info()` reports). */
  params: number;
  imgsz: [number, number];
  opset: number;
  dynamicBatch: boolean;
  /** Largest stride of the detection levels (32). */
  stride: number;
  synthetic: boolean;
}
