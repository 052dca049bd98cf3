/**
 * Stage 4, fidelity: every variant's outputs against FP32 on the same images, whatever the model (per output,
 * and detections when a decoder fits) — on the first eval images (as many as --eval-images allows, 32 at most),
 * else calibration images.
 */
import { join } from 'node:path';
import { measureFidelity } from '../../eval/fidelity-run.js';
import { FIDELITY_IMAGES, fidelityImages } from '../fidelity-images.js';
import type { RunState } from '../state.js';

export async function measureVariantFidelity(state: RunState): Promise<void> {
  const { results, progress, source, settings } = state;
  const files = state.contract.feedProblem || source.info.synthetic
    ? []
    : await fidelityImages(state.evalData, state.calibData, Math.min(FIDELITY_IMAGES, settings.evalImages ?? FIDELITY_IMAGES));
  if (files.length === 0) {
    if (!source.info.synthetic) results.settings.skipped.push('output fidelity (no images: pass --eval or --calib)');
    return;
  }
  state.stepLine(`output fidelity vs FP32 on ${files.length} images`);
  for (const variant of state.built.filter((v) => v.name !== 'fp32')) {
    state.checkAbort();
    try {
      const f = await measureFidelity(join(settings.outDir, variant.path), state.fp32Path, files, {
        contract: state.flags,
        decode: results.accuracyCheck?.fits !== false,
        onProgress: (done, total) => progress.tick(`fidelity ${variant.name}`, done, total),
      });
      variant.fidelity = {
        cosine: f.worst.cosine,
        maxAbsDiff: f.worst.maxAbsDiff,
        sqnrDb: f.worst.sqnrDb,
        images: f.images,
        ...(f.detections ? { detectionAgreement: f.detections.recall, detectionF1: f.detections.f1 } : {}),
        ...(f.detectionsNote ? { detectionsNote: f.detectionsNote } : {}),
        outputs: f.outputs.map((o) => ({ name: o.name, cosine: o.cosine, sqnrDb: o.sqnrDb, maxAbsDiff: o.maxAbsDiff, ...(o.note ? { note: o.note } : {}) })),
      };
    } catch (err) {
      state.fail('fidelity', err, variant);
    }
  }
  await state.writer.save();
}
