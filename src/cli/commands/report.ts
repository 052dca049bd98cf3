import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { action } from '../action.js';
import { defineCommand } from './table.js';

export function registerReport(program: Command): void {
  defineCommand(program, 'report')
    .argument('<results.json>', 'results written by edgeopt run')
    .action(
      action(async (path: string) => {
        const { readResults } = await import('../../results/io.js');
        const { writeReport } = await import('../../report/write.js');
        const results = await readResults(path);
        const files = await writeReport(dirname(path), results);
        process.stdout.write(`${files.map((f) => join(dirname(path), f)).join('\n')}\n`);
      }),
    );
}
