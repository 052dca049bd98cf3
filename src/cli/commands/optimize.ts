import type { Command } from 'commander';
import { REWRITES } from '../../optimize/rewrites/index.js';
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
    .option('--rewrites <list>', `comma-separated rewrites to apply (${Object.keys(REWRITES).join(', ')}; default: ${Object.keys(REWRITES).filter((n) => REWRITES[n]!.byDefault !== false).join(', ')})`)
    .option('--json', 'print one JSON object instead of the summary')
    .action(
      action(async (modelPath: string, flags: OptimizeFlags) => {
        const { resolveRewrites } = await import('../../optimize/index.js');
        const { optimizeModelFile } = await import('../../optimize/file.js');
        const { formatOptimizeResult } = await import('../../optimize/format.js');
        const { assertReadableFile } = await import('../../util/fs.js');
        const rewrites = flags.rewrites === undefined
          ? undefined
          : resolveRewrites(flags.rewrites.split(',').map((s) => s.trim()).filter(Boolean));
        await assertReadableFile(modelPath, 'model');
        const { contractStamp } = await import('../../eval/contract/index.js');
        const result = await optimizeModelFile(modelPath, flags.output, { rewrites, stamp: contractStamp() });
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : formatOptimizeResult(result));
      }),
    );
}
