/**
 * Calibration (and any image-by-image feeding) under a model contract: an image file becomes the complete
 * feed record — the image preprocessed as the contract says, every auxiliary input computed. Plugs into
 * quantize's FeedBuilder seam.
 */
import { formatPreprocessing } from '../../image/preprocessing.js';
import { decodeRgb, preprocessImage } from '../../image/preprocess.js';
import type { FeedBuilder, FeedRecord as CalibrationFeedRecord } from '../../quantize/calibrate/feeds.js';
import { EdgeoptError } from '../../util/errors.js';
import { contractFeeds } from './feeds.js';
import { assertFeedable } from './read.js';
import type { ResolvedContract } from './types.js';

export function contractFeedBuilder(resolved: ResolvedContract): FeedBuilder {
  assertFeedable(resolved, 'cannot calibrate');
  const { contract } = resolved;
  if (contract.input.type === 'float16') {
    // Calibration statistics are collected on float32 graphs; a float16-input model is quantized from its FP32 source.
    throw new EdgeoptError(`input '${contract.input.name}' is float16: calibrate the FP32 model instead`);
  }
  return {
    description: `${formatPreprocessing(contract.input)}${contract.aux.length ? `, ${contract.aux.map((a) => `${a.name} = ${a.kind}`).join(', ')}` : ''} (model contract)`,
    notes: [],
    async build(imageFile: string) {
      const tensor = await preprocessImage(await decodeRgb(imageFile), contract.input);
      return contractFeeds(contract, tensor) as CalibrationFeedRecord;
    },
  };
}
