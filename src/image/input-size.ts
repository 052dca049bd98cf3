/**
 * The input size a model with symbolic spatial dims falls back to when nothing else (flag, metadata) says.
 * Pure (no imports): the CLI, the detector and the browser page fall back the same way.
 */

/** The YOLO default side. */
export const DEFAULT_INPUT_SIZE = 640;

/** [width, height] of an NCHW input shape; symbolic or missing dims take `fallback`. */
export function inputSizeFromDims(dims: ReadonlyArray<number | string | null | undefined>, fallback = DEFAULT_INPUT_SIZE): [number, number] {
  const side = (d: number | string | null | undefined): number => (typeof d === 'number' && d > 0 ? d : fallback);
  return [side(dims[3]), side(dims[2])];
}
