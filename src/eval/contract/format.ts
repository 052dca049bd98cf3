/**
 * The contract in words: a table for `edgeopt inspect` (value and source of every field) and one line for
 * reports and provenance. Pure.
 */
import { formatPreprocessField, formatPreprocessing, type PreprocessKey } from '../../image/preprocessing.js';
import { formatParamValue } from '../decoders/params.js';
import { decoderFlagText } from './resolve.js';
import type { FieldSource, ResolvedContract } from './types.js';

export function describeSource(s: FieldSource | undefined): string {
  if (!s) return 'unknown';
  const detail = s.detail ? ` (${s.detail})` : '';
  switch (s.kind) {
    case 'flag':
      return `flag${s.detail ? ` ${s.detail}` : ''}`;
    case 'edgeopt':
      return `edgeopt metadata${s.origin ? `, originally ${describeSource(s.origin)}` : ''}`;
    case 'exporter':
      return `exporter metadata${detail}`;
    case 'convention':
      return `naming convention${detail}`;
    case 'shape':
      return `inferred from the shapes${detail}`;
    case 'family':
      return `decoder family default${detail}`;
    case 'default':
      return `edgeopt default${detail}`;
  }
}

const PREPROCESS_ROWS: PreprocessKey[] = ['size', 'layout', 'color', 'scale', 'mean', 'std', 'resize', 'pad'];

/** Rows of [field, value, source] in display order. */
export function contractRows(r: ResolvedContract): Array<[string, string, string]> {
  const c = r.contract;
  const rows: Array<[string, string, string]> = [];
  rows.push(['input', `${c.input.name || '(none)'} ${c.input.type}`, describeSource(r.sources.input)]);
  for (const key of PREPROCESS_ROWS) rows.push([key, formatPreprocessField(c.input, key), describeSource(r.sources[key])]);
  for (const a of c.aux) rows.push([`aux input`, `${a.name} = ${a.kind} (${a.type} [${a.dims.join(',')}])`, describeSource(r.sources[`aux.${a.name}`])]);
  if (c.decoder) {
    rows.push(['decoder', c.decoder.name, describeSource(r.sources.decoder)]);
    for (const [key, value] of Object.entries(c.decoder.params)) rows.push([`  ${key}`, formatParamValue(value), describeSource(r.sources[`decoder.${key}`])]);
    if (r.decoderVariant) rows.push(['  reads', r.decoderVariant, '']);
  } else {
    rows.push(['decoder', 'none', r.decoderProblem ?? '']);
  }
  const names = c.names;
  rows.push(['names', names ? `${names.length}: ${names.slice(0, 6).join(', ')}${names.length > 6 ? ', …' : ''}` : 'none', names ? describeSource(r.sources.names) : '']);
  return rows;
}

export function formatContract(r: ResolvedContract): string {
  const rows = contractRows(r);
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const lines = rows.map(([a, b, s]) => `${a.padEnd(w0)}  ${s ? b.padEnd(Math.min(w1, 48)) : b}${s ? `  ${s}` : ''}`.trimEnd());
  for (const a of r.assumptions) lines.push(`assumed   ${a}`);
  if (r.feedProblem) lines.push(`cannot feed images: ${r.feedProblem}`);
  return lines.join('\n') + '\n';
}

/** One line: which decoder and preprocessing, to paste back as flags. */
export function contractSummary(r: ResolvedContract): string {
  const c = r.contract;
  const decoder = c.decoder ? `--decoder ${decoderFlagText(c.decoder)}` : `no decoder (${r.decoderProblem})`;
  return `--preprocess ${formatPreprocessing(c.input)} ${decoder}`;
}

const PREPROCESS_FIELDS = ['resize', 'pad', 'color', 'scale', 'mean', 'std'] as const;

/**
 * When nothing about the model confirmed its preprocessing (only edgeopt's or the decoder family's defaults
 * filled it), a sentence saying so and naming the flag: calibration and accuracy on wrongly fed images mean nothing.
 */
export function unconfirmedPreprocessing(r: ResolvedContract): string | undefined {
  const weak = PREPROCESS_FIELDS.filter((k) => r.sources[k]?.kind === 'default' || r.sources[k]?.kind === 'family');
  if (weak.length === 0) return undefined;
  const whose = r.sources[weak[0]!]?.kind === 'family' ? `the ${r.contract.decoder?.name} family's usual preprocessing` : "edgeopt's default preprocessing";
  const values = weak.map((k) => `${k}=${formatPreprocessField(r.contract.input, k)}`).join(',');
  return `${whose} (${values}): nothing in the model or the flags confirms it; pass --preprocess if the model was trained otherwise`;
}
