import type { Command } from 'commander';
import { DEFAULT_REWRITE_NAMES, REWRITE_NAMES } from '../../optimize/rewrites/names.js';
import { action } from '../action.js';
import { defineCommand } from './table.js';

interface OptimizeFlags {
  output: string;
  rewrites?: string;
  json?: boolean;
}

export function registerOptimize(program: Command): void {
  defineCommand(program, 'optimize')
    .argument('<model>', 'input ONNX model')
    .requiredOption('-o, --output <path>', 'where to write the rewritten model')
    .option('--rewrites <list>', `comma-separated rewrites to apply (${REWRITE_NAMES.join(', ')}; default: ${DEFAULT_REWRITE_NAMES.join(', ')})`)
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
