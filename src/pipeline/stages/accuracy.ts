/**
 * Stage 3, accuracy: mAP of every built variant on the eval data, the FP32 model checked first (when its output
 * makes no sense under the contract, no variant's mAP is reported, and the run says why). Without a decoder,
 * never a guessed mAP: the decoders the shapes allow are tried on a few labelled images and the one that fits named.
 */
import { join } from 'node:path';
import { ContractMismatchError, evaluateModel, NoDecoderError } from '../../eval/evaluate.js';
import { SUGGESTION_IMAGES } from '../../eval/suggest.js';
import { DataQualityError } from '../../util/data-quality.js';
import { describeError } from '../../util/errors.js';
import type { RunState } from '../state.js';

export async function measureAccuracy(state: RunState): Promise<void> {
  const { results, progress, source, evalData, flags, dataRules, built, settings } = state;
  const decoder = state.contract.contract.decoder;
  const accuracyWanted = Boolean(evalData && !source.info.synthetic);
  if (accuracyWanted && !decoder && results.contract) await suggestDecoder(state);
  state.stepLine(accuracyWanted && decoder ? `measuring accuracy on ${evalData}` : 'accuracy: skipped');
  for (const v of built) if (!source.info.synthetic) v.accuracyStatus = !decoder ? 'not measured: no decoder' : !evalData ? 'not measured: no labelled data' : undefined;
  if (!accuracyWanted || !decoder) return;
  for (const variant of built) {
    state.checkAbort();
    try {
      // Every variant reads the same images: bad ones are named once, on the first.
      const first = results.dataQuality?.eval === undefined;
      const r = await evaluateModel(join(settings.outDir, variant.path), evalData!, {
        contract: flags,
        check: variant.name === 'fp32',
        maxImages: settings.evalImages,
        ...dataRules,
        onWarning: first ? (line) => progress.warn(line) : undefined,
        onProgress: (done, total) => progress.tick(`eval ${variant.name}`, done, total),
      });
      (results.dataQuality ??= {}).eval ??= r.dataQuality;
      if (variant.name === 'fp32') results.accuracyCheck = { fits: true, images: r.check?.evidence.images ?? 0, map50: r.check?.evidence.map50 };
      variant.accuracy = { images: r.images, map50: r.map50, map50_95: r.map50_95, precision: r.precision, recall: r.recall };
      variant.accuracyStatus = 'measured';
    } catch (err) {
      if (err instanceof ContractMismatchError) {
        results.accuracyCheck = { fits: false, reason: err.check.reason, suggestion: err.suggestion, images: err.check.evidence.images, map50: err.check.evidence.map50 };
        for (const v of built) v.accuracyStatus = 'not measured: contract mismatch';
        results.settings.skipped.push(`accuracy (contract mismatch: ${err.check.reason}; ${err.suggestion})`);
        progress.warn(`the model contract does not fit this model (${err.check.reason}): accuracy not measured; ${err.suggestion}`);
        break;
      }
      variant.accuracyStatus = 'not measured: failed';
      state.fail('accuracy', err, variant);
      // Too much bad data is the data's fault, the same for every variant: say it once.
      if (err instanceof DataQualityError) break;
    }
  }
  await state.writer.save();
}

async function suggestDecoder(state: RunState): Promise<void> {
  const { results, progress } = state;
  try {
    await evaluateModel(state.fp32Path, state.evalData!, { contract: state.flags, maxImages: SUGGESTION_IMAGES, ...state.dataRules });
  } catch (err) {
    if (err instanceof NoDecoderError && err.suggestion) {
      results.contract!.decoderSuggestion = err.suggestion;
      progress.warn(`no decoder, but measured on ${SUGGESTION_IMAGES} labelled images: ${err.suggestion}`);
    } else if (!(err instanceof NoDecoderError)) {
      progress.warn(`could not try the decoders the shapes allow: ${describeError(err)}`);
    }
  }
}
