import type { Command } from 'commander';
import { EdgeoptError } from '../../util/errors.js';
import { action } from '../action.js';
import { defineCommand } from './table.js';
import { addContractOptions, contractFlagsFrom, type ContractOptionFlags } from '../contract-options.js';

interface InspectFlags extends ContractOptionFlags {
  json?: boolean;
  decoders?: boolean;
}

async function inspectOnnx(file: string, flags: InspectFlags): Promise<void> {
  // The two modules it needs, not the contract index (whose feed builder loads sharp).
  const { readContract } = await import('../../eval/contract/read.js');
  const { formatContract } = await import('../../eval/contract/format.js');
  const resolved = await readContract(file, await contractFlagsFrom(flags));
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
  const command = defineCommand(program, 'inspect')
    .argument('[model]', 'a torch.save checkpoint (YOLOv5, Ultralytics YOLOv5u/v8/11) or an ONNX model')
    .option('--json', 'print one JSON object instead of a table')
    .option('--decoders', 'list the output decoders and their --decoder keys');
  addContractOptions(command).action(
    action(async (file: string | undefined, flags: InspectFlags) => {
      if (flags.decoders) return listDecoders();
      if (!file) throw new EdgeoptError('inspect needs a model file (.pt or .onnx), or --decoders');
      if (!/\.(pt|pth)$/i.test(file)) return inspectOnnx(file, flags);
      const [{ readCheckpoint }, { summarizeCheckpoint }, { formatCheckpointSummary }] = await Promise.all([
        import('../../pt/checkpoint.js'),
        import('../../pt/inspect.js'),
        import('../../pt/format.js'),
      ]);
      // From the path, not from bytes read here: the reader then reads only the directory, the pickle and the few
      // storages whose values the summary shows, not the whole file.
      const summary = summarizeCheckpoint(readCheckpoint(file));
      process.stdout.write(flags.json ? `${JSON.stringify(summary, null, 2)}\n` : formatCheckpointSummary(summary));
    }),
  );
}
