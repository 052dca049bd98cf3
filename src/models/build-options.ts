/**
 * The conversion defaults and limits, apart from the builders: the CLI's `convert` flags and their checks
 * need these numbers at start-up, and importing models/build.ts for them would load every block builder.
 */
import { EdgeoptError } from '../util/errors.js';

export const MIN_OPSET = 12;
export const MAX_OPSET = 21;
export const DEFAULT_OPSET = 17;
export const DEFAULT_IMGSZ = 640;
/** Every supported architecture downsamples by 32 at its coarsest level (P5). */
export const MAX_STRIDE = 32;

/** Validates and normalizes `imgsz` and `opset` with one-line errors. */
export function resolveBuildOptions(options: { imgsz?: number | [number, number]; opset?: number }): { imgsz: [number, number]; opset: number } {
  const raw = options.imgsz ?? DEFAULT_IMGSZ;
  const imgsz: [number, number] = typeof raw === 'number' ? [raw, raw] : [raw[0], raw[1]];
  for (const size of imgsz) {
    if (!Number.isInteger(size) || size < MAX_STRIDE || size % MAX_STRIDE !== 0 || size > 8192) {
      throw new EdgeoptError(`imgsz ${imgsz.join('x')} is invalid: each side must be a multiple of the model's max stride ${MAX_STRIDE} (32 to 8192)`);
    }
  }
  const opset = options.opset ?? DEFAULT_OPSET;
  if (!Number.isInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new EdgeoptError(`opset ${opset} is not supported: choose ${MIN_OPSET} to ${MAX_OPSET}`);
  }
  return { imgsz, opset };
}
