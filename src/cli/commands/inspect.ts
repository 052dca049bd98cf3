import type { Command } from 'commander';
import { readCheckpoint } from '../../pt/checkpoint.js';
import { summarizeCheckpoint, type CheckpointSummary } from '../../pt/inspect.js';
import { EdgeoptError } from '../../util/errors.js';
import { action } from '../action.js';
import { addContractOptions, contractFlagsFrom, type ContractOptionFlags } from '../contract-options.js';

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

function formatSummary(s: CheckpointSummary): string {
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
  const dtypes = Object.entries(s.parameters.dtypes).map(([d, n]) => `${d} ${n.toLocaleString('en-US')}`).join(', ');
  row('parameters', `${s.parameters.count.toLocaleString('en-US')} (state_dict: ${s.parameters.stateDictTensors} tensors, ${dtypes}; ${(s.parameters.bytes / 1e6).toFixed(2)} MB)`);
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

interface InspectFlags extends ContractOptionFlags {
  json?: boolean;
  decoders?: boolean;
}

async function inspectOnnx(file: string, flags: InspectFlags): Promise<void> {
  const { readContract, formatContract } = await import('../../eval/contract/index.js');
  const resolved = await readContract(file, contractFlagsFrom(flags));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(resolved, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${file}: model contract (value, and where it came from)\n${formatContract(resolved)}`);
}

async function listDecoders(): Promise<void> {
  const { DECODERS } = await import('../../eval/decoders/index.js');
  const { COMMON_PARAMS } = await import('../../eval/decoders/params.js');
  const lines: string[] = [];
  for (const d of DECODERS) {
    lines.push(`${d.name}: ${d.summary}`);
    for (const [key, spec] of Object.entries(d.params)) lines.push(`  ${key}  ${spec.help}`);
  }
  lines.push('every decoder:', ...Object.entries(COMMON_PARAMS).map(([key, spec]) => `  ${key}  ${spec.help}`));
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function registerInspect(program: Command): void {
  const command = program
    .command('inspect')
    .description('show what a PyTorch .pt checkpoint holds (read safely: nothing in the file is executed), or the model contract of an ONNX model and where each field came from')
    .argument('[model]', 'a torch.save checkpoint (YOLOv5, Ultralytics YOLOv5u/v8/11) or an ONNX model')
    .option('--json', 'print one JSON object instead of a table')
    .option('--decoders', 'list the output decoders and their --decoder keys');
  addContractOptions(command).action(
    action(async (file: string | undefined, flags: InspectFlags) => {
      if (flags.decoders) return listDecoders();
      if (!file) throw new EdgeoptError('inspect needs a model file (.pt or .onnx), or --decoders');
      if (!/\.(pt|pth)$/i.test(file)) return inspectOnnx(file, flags);
      const summary = summarizeCheckpoint(readCheckpoint(file));
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
    }),
  );
}
