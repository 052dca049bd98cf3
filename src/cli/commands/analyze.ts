import type { Command } from 'commander';
import { analyzeModel } from '../../analyze/analyze.js';
import { formatAnalysis } from '../../analyze/format.js';
import { loadModel } from '../../onnx/model-io.js';
import { assertReadableFile } from '../../util/fs.js';
import { action } from '../action.js';

export function registerAnalyze(program: Command): void {
  program
    .command('analyze')
    .description('report ops, parameters, MACs, quantization census and fusion opportunities of an ONNX model')
    .argument('<model>', 'ONNX model file')
    .option('--json', 'print one JSON object instead of the table')
    .action(
      action(async (modelPath: string, options: { json?: boolean }) => {
        const fileBytes = await assertReadableFile(modelPath, 'model');
        const analysis = analyzeModel(await loadModel(modelPath), { fileBytes });
        process.stdout.write(options.json ? `${JSON.stringify(analysis, null, 2)}\n` : `${modelPath}\n${formatAnalysis(analysis)}`);
      }),
    );
}
