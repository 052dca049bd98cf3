import type { Command } from 'commander';
import { readNamesFile } from '../../eval/detector.js';
import { DETECT_CONF, DETECT_IOU, runDetect, type DetectReport } from '../../detect/run.js';
import type { DetectedObject } from '../../detect/image.js';
import { EdgeoptError } from '../../util/errors.js';
import { stderrProgress } from '../../util/progress.js';
import { withOnnxModel } from '../../convert/ensure-onnx.js';
import { action, parseNumberOption } from '../action.js';

interface DetectFlags {
  output: string;
  conf: number;
  iou: number;
  classes?: string;
  imgsz?: number;
  maxFrames?: number;
  json?: boolean;
}

/** "person 4, bus 1" */
function countByName(detections: DetectedObject[]): string {
  const counts = new Map<string, number>();
  for (const d of detections) counts.set(d.name, (counts.get(d.name) ?? 0) + 1);
  return [...counts].map(([name, n]) => `${name} ${n}`).join(', ') || 'nothing';
}

function summaryLine(report: DetectReport): string {
  const parts = [`${report.images.length} image(s)`, `${report.videos.length} video(s)`];
  if (report.failures.length) parts.push(`${report.failures.length} failed`);
  return `${parts.join(', ')}; detections in ${report.detectionsJson}\n`;
}

export function registerDetect(program: Command): void {
  program
    .command('detect')
    .description('detect objects in images, a folder or videos with an ONNX YOLO model, writing annotated copies and detections.json')
    .argument('<model>', 'ONNX model (YOLOv5 or Ultralytics output layout) or a .pt checkpoint (converted on the fly)')
    .argument('<input>', 'an image, a video (.mp4 .mov .avi .mkv .webm; needs ffmpeg) or a folder of them')
    .requiredOption('-o, --output <dir>', 'folder for annotated files and detections.json')
    .option('--conf <x>', 'confidence threshold', parseNumberOption('--conf', 0, 1), DETECT_CONF)
    .option('--iou <x>', 'NMS IoU threshold', parseNumberOption('--iou', 0, 1), DETECT_IOU)
    .option('--classes <file>', 'class names, one per line (default: the model metadata)')
    .option('--imgsz <n>', 'input size for models with a dynamic input shape', parseNumberOption('--imgsz', 32, 4096, true))
    .option('--max-frames <n>', 'process at most N frames of each video', parseNumberOption('--max-frames', 1, 1e9, true))
    .option('--json', 'print the report (as written to detections.json) as one JSON object')
    .action(
      action(async (model: string, input: string, flags: DetectFlags) => {
        const progress = stderrProgress({ quiet: flags.json });
        const names = flags.classes ? await readNamesFile(flags.classes) : undefined;
        if (/\.(pt|pth)$/i.test(model)) progress.step(`converting ${model} to ONNX`);
        const report = await withOnnxModel(model, (onnx) => runDetect(onnx, input, {
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
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
        } else {
          for (const video of report.videos) {
            process.stdout.write(
              `${video.file}: ${video.frames} frames, model latency mean ${video.latencyMs.mean} ms / p95 ${video.latencyMs.p95} ms, pipeline ${video.fps} FPS\n`,
            );
          }
          for (const image of report.images) process.stdout.write(`${image.file}: ${countByName(image.detections)}\n`);
          process.stdout.write(summaryLine(report));
        }
        return report.failures.length ? 1 : 0;
      }),
    );
}
