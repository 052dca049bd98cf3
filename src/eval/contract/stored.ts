/**
 * The contract edgeopt writes into the ONNX `metadata_props` of every file it produces (key `edgeopt_contract`,
 * JSON), so that a converted, quantized or optimized model is fed and read the same way without the flags.
 * Pure: the browser page reads it too.
 */
import { RESIZE_MODES } from '../../image/letterbox.js';
import type { ModelContract, ResolvedContract, FieldSource } from './types.js';

export const CONTRACT_METADATA_KEY = 'edgeopt_contract';
export const CONTRACT_VERSION = 1;

export interface StoredContract {
  version: typeof CONTRACT_VERSION;
  contract: ModelContract;
  /** Where each field came from when the contract was first resolved (never "edgeopt": the original source). */
  sources: Record<string, FieldSource>;
  assumptions: string[];
}

/** The metadata entry that carries this contract. */
export function contractMetadata(resolved: ResolvedContract): Record<string, string> {
  const sources = Object.fromEntries(Object.entries(resolved.sources).map(([k, s]) => [k, s.kind === 'edgeopt' && s.origin ? s.origin : s]));
  const stored: StoredContract = { version: CONTRACT_VERSION, contract: resolved.contract, sources, assumptions: resolved.assumptions };
  return { [CONTRACT_METADATA_KEY]: JSON.stringify(stored) };
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isRgb = (x: unknown) => Array.isArray(x) && x.length === 3 && x.every(isNumber);

/** Why a stored contract cannot be used, or undefined when it is well-formed. */
function problemOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const s = value as Partial<StoredContract>;
  if (s.version !== CONTRACT_VERSION) return `version ${String(s.version)} (this edgeopt reads ${CONTRACT_VERSION})`;
  const i = s.contract?.input;
  if (!i || typeof i.name !== 'string') return 'no input';
  if (!(isNumber(i.width) && isNumber(i.height) && i.width > 0 && i.height > 0)) return 'bad input size';
  if (!(RESIZE_MODES as readonly string[]).includes(i.resize)) return `unknown resize '${String(i.resize)}'`;
  if (i.color !== 'rgb' && i.color !== 'bgr') return `unknown colour order '${String(i.color)}'`;
  if (i.layout !== 'nchw' && i.layout !== 'nhwc') return `unknown layout '${String(i.layout)}'`;
  if (!(isNumber(i.scale) && i.scale > 0) || !isNumber(i.pad) || !isRgb(i.mean) || !isRgb(i.std)) return 'bad scale, pad, mean or std';
  if (!Array.isArray(s.contract!.aux)) return 'no auxiliary input list';
  const d = s.contract!.decoder;
  if (d !== undefined && (typeof d.name !== 'string' || typeof d.params !== 'object' || d.params === null)) return 'bad decoder';
  if (s.contract!.names !== undefined && !(Array.isArray(s.contract!.names) && s.contract!.names.every((n) => typeof n === 'string'))) return 'bad names';
  return undefined;
}

/** The stored contract of a model's metadata: absent, usable, or unusable with the reason. */
export function readStoredContract(metadata: Record<string, string>): { stored?: StoredContract; problem?: string } {
  const text = metadata[CONTRACT_METADATA_KEY];
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: `${CONTRACT_METADATA_KEY} metadata is not JSON` };
  }
  const problem = problemOf(value);
  if (problem) return { problem: `${CONTRACT_METADATA_KEY} metadata ignored: ${problem}` };
  const stored = value as StoredContract;
  return { stored: { ...stored, sources: stored.sources ?? {}, assumptions: stored.assumptions ?? [] } };
}
