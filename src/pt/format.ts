/** The text `edgeopt inspect` prints for a checkpoint. */
import { groupDigits } from '../util/digits.js';
import type { CheckpointSummary } from './inspect.js';

const SHOWN_NAMES = 8;

/** Groups consecutive layer types: ['Conv','Conv','C3'] → 'Conv×2 C3'. */
function runLengths(types: string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < types.length; ) {
    let j = i;
    while (j < types.length && types[j] === types[i]) j++;
    parts.push(j - i > 1 ? `${types[i]}×${j - i}` : types[i]!);
    i = j;
  }
  return parts.join(' ');
}

function shortName(className: string): string {
  return className.slice(className.lastIndexOf('.') + 1);
}

/** The `edgeopt inspect <model.pt>` table: one labelled row per fact the checkpoint holds. */
export function formatCheckpointSummary(s: CheckpointSummary): string {
  const rows: Array<[string, string]> = [];
  const row = (label: string, value: string | number | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') rows.push([label, String(value)]);
  };
  row('file', s.file);
  row('format', `${s.format} (prefix '${s.prefix}', serialization v${s.serializationVersion || '?'}, ${s.storages} storages)`);
  row('model', `${s.modelClass} (from '${s.modelKey}', ${s.family})`);
  const a = s.architecture;
  if (a) {
    row('architecture', [a.yamlFile, a.scale && `scale ${a.scale}`, `nc ${a.nc}`, `depth ${a.depthMultiple}`, `width ${a.widthMultiple}`].filter(Boolean).join(', '));
    row('backbone', runLengths(a.backbone));
    row('head', runLengths(a.head));
    if (a.stride.length) row('stride', a.stride.join(', '));
    if (a.anchors) row('anchors', a.anchors.map((x) => `[${x.join(',')}]`).join(' '));
  }
  const names = s.names.slice(0, SHOWN_NAMES).join(', ') + (s.names.length > SHOWN_NAMES ? ', …' : '');
  row('classes', `${s.names.length}${s.names.length ? `: ${names}` : ''}`);
  const dtypes = Object.entries(s.parameters.dtypes).map(([d, n]) => `${d} ${groupDigits(n)}`).join(', ');
  row('parameters', `${groupDigits(s.parameters.count)} (state_dict: ${s.parameters.stateDictTensors} tensors, ${dtypes}; ${(s.parameters.bytes / 1e6).toFixed(2)} MB)`);
  row('modules', s.classes.map((c) => `${shortName(c.className)} ${c.count}`).join(', '));
  row('top-level keys', s.topLevel.map((t) => `${t.key} (${t.type})`).join(', '));
  const t = s.training;
  row('date', t.date);
  row('epoch', t.epoch);
  row('written by', t.version && `ultralytics ${t.version}`);
  row('best fitness', t.bestFitness);
  row('train run', [t.name && `name ${t.name}`, t.task && `task ${t.task}`, t.data && `data ${t.data}`, t.imgsz && `imgsz ${t.imgsz}`, t.epochs && `epochs ${t.epochs}`].filter(Boolean).join(', '));
  row('git commit', t.gitCommit);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}
