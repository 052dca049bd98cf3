import type { StaticModeOptions } from './index.js';

/**
 * What `edgeopt quantize --mode static` adds to the library's conservative defaults: the choices the search
 * (`--mode auto`) makes on every model, because they were measured to cost no speed anywhere — exact rewrites
 * first, SiLU-aware input ranges, shared-scale Concats (onnxruntime then copies bytes instead of requantizing),
 * and bias correction. None is a constant tuned to one model; which nodes stay float (stem, head) is still the
 * per-device question the search answers. The run pipeline's presets keep the library defaults, so that they stay
 * the fixed reference points the search is compared with.
 */
export const STATIC_MODE_DEFAULTS = {
  exactRewrites: true,
  siluAwareRanges: true,
  sharedScaleConcats: true,
  biasCorrection: true,
} as const satisfies Partial<StaticModeOptions>;
