/**
 * The metadata_props a converted model carries, in the official exporters' format (`names` as a Python dict
 * repr, `imgsz` as a Python list) so that tools reading Ultralytics/YOLOv5 exports read ours, plus edgeopt's own
 * keys saying which family the output layout follows and whether the weights are synthetic.
 */
import type { BuiltModelInfo } from './info.js';

/** Python's repr() of a str: single quotes unless the text has a single quote and no double quote. */
export function pythonStringRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return out + quote;
}

/** "{0: 'person', 1: 'bicycle', …}", as `str(model.names)` prints a dict. */
export function pythonNamesRepr(names: readonly string[]): string {
  return `{${names.map((n, i) => `${i}: ${pythonStringRepr(n)}`).join(', ')}}`;
}

export function modelMetadata(info: BuiltModelInfo, description?: string): Record<string, string> {
  const weights = info.synthetic ? 'SYNTHETIC seeded weights (never trained; for latency only)' : 'converted checkpoint weights';
  const metadata: Record<string, string> = {
    description: description ?? `${info.architecture} (${info.family}, ${info.nc} classes), ${weights}`,
    author: 'edgeopt',
    stride: String(info.stride),
    task: 'detect',
  };
  if (!info.dynamicBatch) metadata.batch = '1';
  metadata.imgsz = `[${info.imgsz[0]}, ${info.imgsz[1]}]`;
  metadata.names = pythonNamesRepr(info.names);
  metadata.edgeopt_family = info.family;
  metadata.edgeopt_architecture = info.architecture;
  metadata.edgeopt_synthetic = info.synthetic ? 'true' : 'false';
  return metadata;
}
