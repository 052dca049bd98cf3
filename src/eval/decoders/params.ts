/**
 * Decoder parameters as data: each family declares its keys (type, default, one line of help), and the
 * `--decoder name,key=value,…` text is parsed against that declaration with one-line errors. Pure.
 *
 * Value syntax (no commas inside a value, since commas separate keys):
 *   numbers `0.5`, `1/255` · lists `8:16:32` · per-level lists `10:13:16:30:33:23/30:61:62:45:59:119/…` · booleans
 *   `true|false` · names from a fixed set.
 */
import { EdgeoptError } from '../../util/errors.js';

export type ParamValue = number | boolean | string | number[] | number[][];
export type DecoderParams = Record<string, ParamValue>;

export type ParamSpec =
  | { kind: 'int'; min: number; max: number; help: string }
  | { kind: 'number'; min: number; max: number; help: string }
  | { kind: 'bool'; help: string }
  | { kind: 'enum'; values: readonly string[]; help: string }
  | { kind: 'list'; help: string }
  | { kind: 'levels'; help: string };

export type ParamSpecs = Record<string, ParamSpec>;

/** Keys every decoder accepts: how class ids map to the dataset's, and whether NMS runs after decoding. */
export const COMMON_PARAMS: ParamSpecs = {
  classes: { kind: 'int', min: 1, max: 100_000, help: 'number of classes (default: from the output shape or the class names)' },
  'class-offset': { kind: 'int', min: -1000, max: 1000, help: 'subtracted from every class id (1 for models whose classes start at 1)' },
  'class-map': { kind: 'enum', values: ['none', 'coco91'], help: 'coco91: the model predicts COCO category ids 1–90, mapped to the 80 contiguous classes' },
  nms: { kind: 'bool', help: 'run NMS after decoding (default: yes unless the model has NMS inside)' },
};

function parseNumber(text: string): number {
  const frac = /^([-+]?[\d.]+(?:e[-+]?\d+)?)\/([\d.]+(?:e[-+]?\d+)?)$/i.exec(text);
  return frac ? Number(frac[1]) / Number(frac[2]) : text === '' ? NaN : Number(text);
}

function parseList(key: string, text: string): number[] {
  const values = text.split(':').map(parseNumber);
  if (values.length === 0 || !values.every(Number.isFinite)) throw new EdgeoptError(`--decoder ${key}=${text}: expected numbers separated by ':'`);
  return values;
}

export function parseParamValue(key: string, spec: ParamSpec, text: string): ParamValue {
  const fail = (expected: string) => new EdgeoptError(`--decoder ${key}=${text}: expected ${expected}`);
  switch (spec.kind) {
    case 'int':
    case 'number': {
      const n = parseNumber(text);
      if (!Number.isFinite(n) || n < spec.min || n > spec.max || (spec.kind === 'int' && !Number.isInteger(n))) {
        throw fail(`${spec.kind === 'int' ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}`);
      }
      return n;
    }
    case 'bool':
      if (['true', 'yes', '1'].includes(text)) return true;
      if (['false', 'no', '0'].includes(text)) return false;
      throw fail('true or false');
    case 'enum':
      if (!spec.values.includes(text)) throw fail(spec.values.join(' | '));
      return text;
    case 'list':
      return parseList(key, text);
    case 'levels':
      return text.split('/').map((level) => parseList(key, level));
  }
}

export function formatParamValue(value: ParamValue): string {
  if (Array.isArray(value)) return value.map((v) => (Array.isArray(v) ? v.join(':') : String(v))).join(Array.isArray(value[0]) ? '/' : ':');
  return String(value);
}

export interface DecoderSpecText {
  name: string;
  params: DecoderParams;
}

/**
 * Splits `name,key=value,…` and parses each value against the family's keys (`specsFor(name)` returns undefined
 * for an unknown family). Errors name the bad part and what was expected.
 */
export function parseDecoderFlag(text: string, specsFor: (name: string) => ParamSpecs | undefined, known: readonly string[]): DecoderSpecText {
  const [rawName, ...items] = text.split(',').map((s) => s.trim());
  const name = (rawName ?? '').toLowerCase();
  const specs = specsFor(name);
  if (!specs) throw new EdgeoptError(`--decoder: unknown decoder '${rawName ?? ''}' (known: ${known.join(', ')})`);
  const all = { ...COMMON_PARAMS, ...specs };
  const params: DecoderParams = {};
  for (const item of items.filter(Boolean)) {
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    const spec = all[key];
    if (!spec) throw new EdgeoptError(`--decoder ${name}: unknown key '${key}' (known: ${Object.keys(all).join(', ')})`);
    if (eq < 0) throw new EdgeoptError(`--decoder ${name}: ${key} needs a value (write ${key}=<value>)`);
    params[key] = parseParamValue(key, spec, item.slice(eq + 1).trim());
  }
  return { name, params };
}

/** Reads a parameter with its type, for decoder code. */
export const param = {
  number: (p: DecoderParams, key: string): number | undefined => (typeof p[key] === 'number' ? (p[key] as number) : undefined),
  bool: (p: DecoderParams, key: string): boolean | undefined => (typeof p[key] === 'boolean' ? (p[key] as boolean) : undefined),
  text: (p: DecoderParams, key: string): string | undefined => (typeof p[key] === 'string' ? (p[key] as string) : undefined),
  list: (p: DecoderParams, key: string): number[] | undefined =>
    Array.isArray(p[key]) && !Array.isArray((p[key] as unknown[])[0]) ? (p[key] as number[]) : undefined,
  levels: (p: DecoderParams, key: string): number[][] | undefined =>
    Array.isArray(p[key]) && Array.isArray((p[key] as unknown[])[0]) ? (p[key] as number[][]) : undefined,
};
