import { openDataset } from '../datasets/registry.js';
import { listCalibrationImages } from '../quantize/calibrate/images.js';

/** Images fidelity is measured on per variant: enough for stable figures, few enough to stay cheap. */
export const FIDELITY_IMAGES = 32;

/**
 * Real images for output fidelity: the first ones of the evaluation data (the images accuracy is about), else of
 * the calibration folder. Empty when there are none (the built-in model on a fresh machine).
 */
export async function fidelityImages(evalData: string | undefined, calibData: string | undefined, count = FIDELITY_IMAGES): Promise<string[]> {
  if (evalData) {
    try {
      return (await openDataset(evalData, { split: 'val' })).imagePaths.slice(0, count);
    } catch {
      // An unreadable evaluation set is reported by the accuracy step; fall back to calibration images.
    }
  }
  if (calibData) {
    try {
      if (/\.(ya?ml|json)$/i.test(calibData)) return (await openDataset(calibData, { split: 'train' })).imagePaths.slice(0, count);
      return listCalibrationImages(calibData, count);
    } catch {
      return [];
    }
  }
  return [];
}
