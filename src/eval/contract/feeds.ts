/**
 * One image's complete feed record from the contract: the preprocessed image in the input's element type and
 * every auxiliary input computed from the image and input sizes. The same record serves detection, evaluation,
 * fidelity and INT8 calibration. Pure (the browser page builds its feeds with it too).
 */
import { unletterboxBox, type Box, type LetterboxGeometry } from '../../image/letterbox.js';
import { float32ToFloat16Bits } from '../../util/float16.js';
import { EdgeoptError } from '../../util/errors.js';
import type { BoxSpace } from '../decoders/types.js';
import type { Detection } from '../decoders/index.js';
import type { AuxInput, ModelContract } from './types.js';

import type { FeedRecord, FeedTensor } from '../../runtime/runtime.js';

export type { FeedElementType, FeedRecord, FeedTensor } from '../../runtime/runtime.js';

function typed(type: string, values: ArrayLike<number>, dims: number[], what: string): FeedTensor {
  switch (type) {
    case 'float32':
      return { type, dims, data: Float32Array.from(values) };
    case 'float16':
      return { type, dims, data: Uint16Array.from(values, float32ToFloat16Bits) };
    case 'int64':
      return { type, dims, data: BigInt64Array.from(Array.from(values, (v) => BigInt(Math.round(v)))) };
    case 'int32':
      return { type, dims, data: Int32Array.from(values, Math.round) };
    case 'uint8':
      return { type, dims, data: Uint8Array.from(values, (v) => Math.max(0, Math.min(255, Math.round(v)))) };
    case 'int8':
      return { type, dims, data: Int8Array.from(values, (v) => Math.max(-128, Math.min(127, Math.round(v)))) };
    default:
      throw new EdgeoptError(`${what} has element type ${type}, which edgeopt cannot feed`);
  }
}

/** The values an auxiliary input holds for an image of srcWidth × srcHeight fed at the contract's input size. */
export function auxValues(aux: AuxInput, contract: ModelContract, srcWidth: number, srcHeight: number): number[] {
  const { width, height } = contract.input;
  switch (aux.kind) {
    case 'scale-factor':
      return [height / srcHeight, width / srcWidth];
    case 'input-size':
      return [height, width];
    case 'image-size':
      return [srcHeight, srcWidth];
    case 'image-size-wh':
      return [srcWidth, srcHeight];
    default:
      return aux.kind.slice('const:'.length).split(':').map(Number);
  }
}

/** The complete feed record for one preprocessed image (`data` in the contract's layout, float32). */
export function contractFeeds(contract: ModelContract, image: { data: Float32Array; dims: readonly number[]; srcWidth: number; srcHeight: number }): FeedRecord {
  const feeds: FeedRecord = {};
  const input = contract.input;
  feeds[input.name] = input.type === 'float32' ? { type: 'float32', dims: [...image.dims], data: image.data } : typed(input.type, image.data, [...image.dims], `input '${input.name}'`);
  for (const aux of contract.aux) {
    const values = auxValues(aux, contract, image.srcWidth, image.srcHeight);
    const count = aux.dims.reduce((a, b) => a * b, 1);
    if (count !== values.length) {
      throw new EdgeoptError(`input '${aux.name}' [${aux.dims.join(',')}] takes ${count} values, but ${aux.kind} gives ${values.length}`);
    }
    feeds[aux.name] = typed(aux.type, values, aux.dims, `input '${aux.name}'`);
  }
  return feeds;
}

/** Detections in source-image pixels: boxes in input pixels go back through the resize; source-space boxes are clipped. */
export function toSourceDetections(detections: readonly Detection[], space: BoxSpace, geometry: LetterboxGeometry, srcWidth: number, srcHeight: number): Detection[] {
  const identity: LetterboxGeometry = { ratioX: 1, ratioY: 1, newWidth: srcWidth, newHeight: srcHeight, padLeft: 0, padTop: 0, padRight: 0, padBottom: 0 };
  const g = space === 'input' ? geometry : identity;
  return detections.map((d) => ({ ...d, box: unletterboxBox(d.box, g, srcWidth, srcHeight) as Box }));
}
