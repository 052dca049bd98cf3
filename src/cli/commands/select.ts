import type { Command } from 'commander';
import { Option } from 'commander';
import type { SelectScenario } from '../../select/select.js';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';

export function registerSelect(program: Command): void {
  defineCommand(program, 'select')
    .argument('<results.json>', 'results written by edgeopt run')
    .option('--max-latency-ms <ms>', 'largest acceptable median latency', parseNumberOption('--max-latency-ms', 0.001, 1e7))
    .option('--max-size-mb <mb>', 'largest acceptable model file size', parseNumberOption('--max-size-mb', 0.001, 1e6))
    .option('--max-map-drop <points>', 'largest acceptable mAP50-95 drop vs FP32, in points (default 1 when accuracy was measured)', parseNumberOption('--max-map-drop', 0, 100))
    .option('--min-fidelity <x>', 'smallest acceptable fidelity vs FP32: detection F1 when a decoder fits, else the worst output cosine (default without accuracy: F1 0.9 / cosine 0.99; with accuracy: a second check only when given)', parseNumberOption('--min-fidelity', 0, 1))
    .addOption(new Option('--scenario <name>', 'which latency to optimise').choices(['controlled', 'practical']).default('controlled'))
    .option('--json', 'print the selection as JSON')
    .action(
      action(async (path: string, opts: { maxLatencyMs?: number; maxSizeMb?: number; maxMapDrop?: number; minFidelity?: number; scenario: SelectScenario; json?: boolean }) => {
        const { readResults } = await import('../../results/io.js');
        const { selectVariant } = await import('../../select/select.js');
        const { formatSelection } = await import('../../select/format.js');
        const results = await readResults(path);
        const selection = selectVariant(results, { maxLatencyMs: opts.maxLatencyMs, maxSizeMb: opts.maxSizeMb, maxMapDrop: opts.maxMapDrop, minFidelity: opts.minFidelity }, opts.scenario);
        process.stdout.write(opts.json ? `${JSON.stringify(selection, null, 2)}\n` : formatSelection(selection));
        return selection.chosen ? 0 : 3;
      }),
    );
}
