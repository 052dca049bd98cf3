/**
 * The contract flags every image-feeding command takes, parsed once here with one-line errors:
 * `--preprocess key=value,…`, `--decoder name,key=value,…`, `--aux-input name=kind` (repeatable) and the older
 * `--imgsz n` (= `--preprocess size=n`). Pure.
 */
import { parsePreprocessFlag } from '../../image/preprocessing.js';
import { EdgeoptError } from '../../util/errors.js';
import { parseDecoderSpec } from '../decoders/index.js';
import { AUX_KINDS, type AuxKind, type ContractFlags } from './types.js';

export interface ContractFlagText {
  preprocess?: string;
  decoder?: string;
  auxInput?: string[];
  imgsz?: number;
  names?: string[];
}

export function parseAuxKind(text: string): AuxKind {
  if (['scale-factor', 'input-size', 'image-size', 'image-size-wh'].includes(text)) return text as AuxKind;
  const m = /^const:(.+)$/.exec(text);
  if (m && m[1]!.split(':').every((v) => v.trim() !== '' && Number.isFinite(Number(v)))) return text as AuxKind;
  throw new EdgeoptError(`--aux-input: unknown kind '${text}' (expected ${AUX_KINDS.join(' | ')})`);
}

function parseAux(items: readonly string[]): Record<string, AuxKind> {
  const out: Record<string, AuxKind> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new EdgeoptError(`--aux-input ${item}: expected <input name>=<kind>`);
    out[item.slice(0, eq).trim()] = parseAuxKind(item.slice(eq + 1).trim());
  }
  return out;
}

export function parseContractFlags(text: ContractFlagText): ContractFlags {
  const preprocess = text.preprocess ? parsePreprocessFlag(text.preprocess) : {};
  if (text.imgsz !== undefined) {
    if (preprocess.width !== undefined && (preprocess.width !== text.imgsz || preprocess.height !== text.imgsz)) {
      throw new EdgeoptError(`--imgsz ${text.imgsz} contradicts --preprocess size=${preprocess.width}x${preprocess.height}`);
    }
    preprocess.width = preprocess.height = text.imgsz;
  }
  return {
    ...(Object.keys(preprocess).length ? { preprocess } : {}),
    ...(text.decoder ? { decoder: parseDecoderSpec(text.decoder) } : {}),
    ...(text.auxInput?.length ? { aux: parseAux(text.auxInput) } : {}),
    ...(text.names ? { names: text.names } : {}),
  };
}
