import type { Command } from 'commander';
import { optimizeModelFile } from '../../optimize/file.js';
import { REWRITES, resolveRewrites } from '../../optimize/index.js';
import { assertReadableFile } from '../../util/fs.js';
import { action } from '../action.js';

interface OptimizeFlags {
  output: string;
  rewrites?: string;
  json?: boolean;
}

export function registerOptimize(program: Command): void {
  program
    .command('optimize')
    .description('apply exact graph rewrites that make a model faster without changing its outputs (run before quantize)')
    .argument('<model>', 'input ONNX model')
    .requiredOption('-o, --output <path>', 'where to write the rewritten model')
    .option('--rewrites <list>', `comma-separated rewrites to apply (default: all of ${Object.keys(REWRITES).join(', ')})`)
    .option('--json', 'print one JSON object instead of the summary')
    .action(
      action(async (modelPath: string, flags: OptimizeFlags) => {
        const rewrites = flags.rewrites === undefined
          ? undefined
          : resolveRewrites(flags.rewrites.split(',').map((s) => s.trim()).filter(Boolean));
        await assertReadableFile(modelPath, 'model');
        const { contractStamp } = await import('../../eval/contract/index.js');
        const result = await optimizeModelFile(modelPath, flags.output, { rewrites, stamp: contractStamp() });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(result)}\n`);
          return;
        }
        const { report } = result;
        for (const a of report.applied) {
          process.stdout.write(`${a.rewrite}: ${a.matches === 0 ? 'no match (model unchanged by it)' : `${a.matches} match(es), replaced ${a.nodes.join(', ')}`}\n`);
        }
        process.stdout.write(`nodes ${report.nodesBefore} → ${report.nodesAfter}; wrote ${result.output} (${(result.bytes / 1e6).toFixed(1)} MB)\n`);
      }),
    );
}
