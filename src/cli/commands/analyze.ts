import type { Command } from 'commander';
import { action } from '../action.js';
import { defineCommand } from './table.js';

export function registerAnalyze(program: Command): void {
  defineCommand(program, 'analyze')
    .argument('<model>', 'ONNX model file')
    .option('--json', 'print one JSON object instead of the table')
    .action(
      action(async (modelPath: string, options: { json?: boolean }) => {
        const { assertReadableFile } = await import('../../util/fs.js');
        const { analyzeModel } = await import('../../analyze/analyze.js');
        const { formatAnalysis } = await import('../../analyze/format.js');
        const { loadModel } = await import('../../onnx/model-io.js');
        const fileBytes = await assertReadableFile(modelPath, 'model');
        const analysis = analyzeModel(await loadModel(modelPath), { fileBytes });
        process.stdout.write(options.json ? `${JSON.stringify(analysis, null, 2)}\n` : `${modelPath}\n${formatAnalysis(analysis)}`);
      }),
    );
}
