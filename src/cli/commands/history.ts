import type { Command } from 'commander';
import { Option } from 'commander';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';
import { STORE_FLAG_HELP } from '../store.js';

interface HistoryFlags {
  store?: string;
  model?: string;
  device?: string;
  kind?: string;
  limit: number;
  compare?: string[];
  json?: boolean;
}

export function registerHistory(program: Command): void {
  defineCommand(program, 'history')
    .option('--store <url>', STORE_FLAG_HELP)
    .option('--model <name>', 'only this model (its name, or a prefix of a model file sha256)')
    .option('--device <name>', 'only this device')
    .addOption(new Option('--kind <kind>', 'only runs made by this command').choices(['run', 'bench', 'eval', 'search', 'fleet', 'browser']))
    .option('--limit <n>', 'most recent runs to show', parseNumberOption('--limit', 1, 100_000, true), 50)
    .option('--compare <runs...>', 'compare two runs (ids or id prefixes) variant by variant')
    .option('--json', 'print one JSON object { store, runs, changes }')
    .action(
      action(async (flags: HistoryFlags) => {
        const { EdgeoptError } = await import('../../util/errors.js');
        const { resolveStoreLocation } = await import('../../store/location.js');
        const { ResultsStore } = await import('../../store/store.js');
        const { compareRuns, latestChanges, formatHistory } = await import('../../store/history.js');
        if (flags.compare && flags.compare.length !== 2) throw new EdgeoptError('--compare takes exactly two run ids');
        const location = resolveStoreLocation(flags.store);
        const store = await ResultsStore.open(location);
        try {
          let runs;
          let changes;
          if (flags.compare) {
            const [a, b] = await Promise.all(flags.compare.map(async (id) => {
              const run = await store.run(id);
              if (!run) throw new EdgeoptError(`no run '${id}' in ${location.display}`);
              return run;
            }));
            const [before, after] = a!.createdAt <= b!.createdAt ? [a!, b!] : [b!, a!];
            runs = [after, before];
            changes = compareRuns(before, after);
            if (changes.length === 0) throw new EdgeoptError('the two runs share no variant × scenario to compare');
          } else {
            runs = await store.runs({ model: flags.model, device: flags.device, kind: flags.kind as never, limit: flags.limit });
            changes = latestChanges(runs);
          }
          if (flags.json) {
            process.stdout.write(`${JSON.stringify({ store: location.display, runs, changes }, null, 2)}\n`);
            return 0;
          }
          if (runs.length === 0) {
            process.stdout.write(`no runs in ${location.display}${flags.model || flags.device || flags.kind ? ' match the filters' : ' yet'}\n`);
            return 0;
          }
          process.stdout.write(formatHistory(runs));
          if (changes.length > 0) {
            process.stdout.write(`\n${flags.compare ? 'comparison' : 'latest vs previous measurement'} (beyond noise = the medians' 95% CIs do not overlap):\n`);
            for (const c of changes) process.stdout.write(`  ${c.text}\n`);
          }
          return 0;
        } finally {
          await store.close();
        }
      }),
    );
}
