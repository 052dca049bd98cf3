/**
 * What the demo server and the page say to each other over HTTP, as types only (no imports of node): the
 * server builds these records and the page (web/*.js, type-checked with JSDoc) reads them.
 */
import type { ModelContract } from '../eval/contract/types.js';
import type { BrowserDeviceReport } from '../results/devices.js';

/** What the page needs to know about a model before downloading it (served as /api/models). */
export interface DemoModelInfo {
  index: number;
  name: string;
  sizeBytes: number;
  inputName: string;
  /** Input dims; symbolic dims are null. */
  inputShape: Array<number | null>;
  /** 'float32' or 'float16': an FP16 variant without float32 IO needs half-precision input. */
  inputType: 'float32' | 'float16';
  outputName: string;
  outputShape: Array<number | null>;
  /** Class names by class id, from the model's `names` metadata (empty when it has none). */
  classNames: string[];
  /**
   * The model contract the server resolved (flags given to `edgeopt demo`, then the file's own contract, exporter
   * metadata, shapes): the page preprocesses, feeds the auxiliary inputs and decodes by it, as `edgeopt detect` does.
   */
  contract?: ModelContract;
  /** The contract as `--preprocess … --decoder …` flags, shown on the page. */
  contractSummary?: string;
  /**
   * Why the page does not draw this model's detections (no decoder fits its outputs): the model is still run and
   * benchmarked, but no box the page cannot decode is drawn.
   */
  detectionsNote?: string;
}

/** GET /api/results: the devices that reported so far and the variants served. */
export interface DemoResultsResponse {
  variants: string[];
  devices: BrowserDeviceReport[];
}
