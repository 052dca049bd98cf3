import type { Command } from 'commander';
import { convertFile } from '../../convert/convert.js';
import { DEFAULT_IMGSZ, DEFAULT_OPSET, MAX_OPSET, MIN_OPSET, resolveBuildOptions } from '../../models/build.js';
import { stderrProgress } from '../../util/progress.js';
import { action, parseNumberOption } from '../action.js';

interface ConvertFlags {
  output: string;
  imgsz: number;
  opset: number;
  dynamicBatch?: boolean;
  json?: boolean;
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a YOLOv5 / Ultralytics (YOLOv5u, YOLOv8, YOLO11) .pt checkpoint to ONNX, natively and safely (no Python, nothing in the file is executed)')
    .argument('<checkpoint>', '.pt checkpoint file')
    .requiredOption('-o, --output <model.onnx>', 'ONNX file to write')
    .option('--imgsz <pixels>', 'square input size, a multiple of the stride 32', parseNumberOption('--imgsz', 32, 8192, true), DEFAULT_IMGSZ)
    .option('--opset <version>', `ONNX opset (${MIN_OPSET}-${MAX_OPSET})`, parseNumberOption('--opset', MIN_OPSET, MAX_OPSET, true), DEFAULT_OPSET)
    .option('--dynamic-batch', 'symbolic batch axis instead of batch 1')
    .option('--json', 'print one JSON object describing the conversion')
    .action(
      action(async (checkpoint: string, flags: ConvertFlags) => {
        // Validate the flags before reading anything, so a bad flag never costs a conversion.
        resolveBuildOptions({ imgsz: flags.imgsz, opset: flags.opset });
        const progress = stderrProgress({ quiet: flags.json });
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
        const outputShape = info.family === 'yolov5' ? 'rows of cx,cy,w,h,obj,classes' : 'cx,cy,w,h,classes × anchors';
        process.stdout.write(
          `${flags.output}: ${info.architecture} (${info.family}), ${info.nc} classes, ${info.params.toLocaleString('en-US')} parameters, ` +
            `input ${info.imgsz.join('x')}, opset ${info.opset}${info.dynamicBatch ? ', dynamic batch' : ''}, output0 ${outputShape}; ` +
            `${(bytes / 1e6).toFixed(1)} MB in ${info.seconds.toFixed(2)} s\n`,
        );
      }),
    );
}
