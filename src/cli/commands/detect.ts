import type { Command } from 'commander';
import { DISPLAY_THRESHOLDS } from '../../eval/decode.js';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';
import { imgszOption, progressFor, providersOption, quietOption } from '../options.js';
import { addContractOptions, contractFlagsFrom, type ContractOptionFlags } from '../contract-options.js';

interface DetectFlags extends ContractOptionFlags {
  output: string;
  conf: number;
  iou: number;
  classes?: string;
  imgsz?: number;
  maxFrames?: number;
  json?: boolean;
  quiet?: boolean;
  providers: string;
}

export function registerDetect(program: Command): void {
  const command = defineCommand(program, 'detect')
    .argument('<model>', 'ONNX detector (its contract says how to feed and read it; see edgeopt inspect) or a .pt checkpoint (converted on the fly)')
    .argument('<input>', 'an image, a video (.mp4 .mov .avi .mkv .webm; needs ffmpeg) or a folder of them')
    .requiredOption('-o, --output <dir>', 'folder for annotated files and detections.json')
    .option('--conf <x>', 'confidence threshold', parseNumberOption('--conf', 0, 1), DISPLAY_THRESHOLDS.confThreshold)
    .option('--iou <x>', 'NMS IoU threshold', parseNumberOption('--iou', 0, 1), DISPLAY_THRESHOLDS.iouThreshold)
    .option('--classes <file>', 'class names, one per line (default: the model metadata)')
    .addOption(imgszOption('input size for models with a dynamic input shape'))
    .option('--max-frames <n>', 'process at most N frames of each video', parseNumberOption('--max-frames', 1, 1e9, true))
    .addOption(providersOption())
    .option('--json', 'print the report (as written to detections.json) as one JSON object')
    .addOption(quietOption());
  addContractOptions(command)
    .action(
      action(async (model: string, input: string, flags: DetectFlags) => {
        const progress = progressFor(flags);
        const { readNamesFile } = await import('../../eval/detector.js');
        const { runDetect } = await import('../../detect/run.js');
        const { withOnnxModel } = await import('../../convert/ensure-onnx.js');
        const { countByName, formatDetectReport } = await import('../../detect/format.js');
        const names = flags.classes ? await readNamesFile(flags.classes) : undefined;
        if (/\.(pt|pth)$/i.test(model)) progress.step(`converting ${model} to ONNX`);
        const contract = await contractFlagsFrom(flags);
        const { parseProviders } = await import('../../runtime/providers.js');
        const session = { providers: parseProviders(flags.providers) };
        const report = await withOnnxModel(model, (onnx) => runDetect(onnx, input, {
          contract,
          session,
          outDir: flags.output,
          conf: flags.conf,
          iou: flags.iou,
          names,
          imgsz: flags.imgsz,
          maxFrames: flags.maxFrames,
          ffmpegPath: process.env.EDGEOPT_FFMPEG,
          onFrame: (file, done, total) => progress.tick(`frames of ${file}`, done, total ?? done),
          onFile: ({ file, image, video, error }) => {
            // Failures go to stderr even with --json, so a user always sees which file failed and why.
            if (error) process.stderr.write(`edgeopt: error: ${file}: ${error}\n`);
            else if (image) progress.step(`${file}: ${countByName(image.detections)} -> ${image.output}`);
            else if (video) {
              progress.step(
                `${file}: ${video.frames} frames, latency mean ${video.latencyMs.mean} ms, p95 ${video.latencyMs.p95} ms, ${video.fps} FPS -> ${video.output}`,
              );
            }
          },
        }));
        process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : formatDetectReport(report));
        return report.failures.length ? 1 : 0;
      }),
    );
}
