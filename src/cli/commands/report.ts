import type { Command } from 'commander';
import { dirname, join } from 'node:path';
import { action } from '../action.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('re-render report.md and the SVG charts from a results.json (e.g. after devices reported from the demo)')
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
