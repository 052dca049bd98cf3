import type { Command } from 'commander';
import { DEFAULT_IMGSZ, DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, resolveBuildOptions } from '../../models/build-options.js';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';
import { LIMITS, progressFor, quietOption } from '../options.js';

interface ConvertFlags {
  output: string;
  imgsz: number;
  opset: number;
  dynamicBatch?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerConvert(program: Command): void {
  defineCommand(program, 'convert')
    .argument('<checkpoint>', '.pt checkpoint file')
    .requiredOption('-o, --output <model.onnx>', 'ONNX file to write')
    .option('--imgsz <pixels>', 'square input size, a multiple of the stride 32', parseNumberOption('--imgsz', LIMITS.imgsz.min, LIMITS.imgsz.max, true), DEFAULT_IMGSZ)
    .option('--opset <version>', `ONNX opset (${MIN_OPSET}-${MAX_OPSET})`, parseNumberOption('--opset', MIN_OPSET, MAX_OPSET, true), DEFAULT_OPSET)
    .option('--dynamic-batch', 'symbolic batch axis instead of batch 1')
    .option('--json', 'print one JSON object describing the conversion')
    .addOption(quietOption())
    .action(
      action(async (checkpoint: string, flags: ConvertFlags) => {
        // Validate the flags before reading anything, so a bad flag never costs a conversion.
        resolveBuildOptions({ imgsz: flags.imgsz, opset: flags.opset });
        const progress = progressFor(flags);
        const { convertFile } = await import('../../convert/convert.js');
        const { formatConversion } = await import('../../convert/format.js');
        progress.step(`converting ${checkpoint}`);
        const { contractStamp } = await import('../../eval/contract/index.js');
        const { info, bytes } = await convertFile(checkpoint, flags.output, {
          stamp: contractStamp(),
          imgsz: flags.imgsz,
          opset: flags.opset,
          dynamicBatch: flags.dynamicBatch ?? false,
        });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ output: flags.output, bytes, ...info })}\n`);
          return;
        }
        process.stdout.write(formatConversion(flags.output, info, bytes));
      }),
    );
}
