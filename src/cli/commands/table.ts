/**
 * Every CLI command's name, usage and one-line description, and nothing else: `edgeopt --help` lists the commands
 * from this table without importing a single command module, and each command module takes its description from
 * here (`defineCommand`), so the two never differ. `usage` is the term --help prints after the name; a test
 * (test/cli/commands.test.ts) checks it against the arguments and options each module really registers.
 * A new command is one entry here, one file in this folder and one loader in index.ts.
 */
import type { Command } from 'commander';

export interface CommandSummary {
  name: string;
  /** What --help prints after the name: '[options]' when the command has options, then its arguments. */
  usage: string;
  description: string;
}

/** In pipeline order, as --help lists them. */
export const COMMAND_TABLE = [
  {
    name: 'inspect',
    usage: '[options] [model]',
    description: 'show what a PyTorch .pt checkpoint holds (read safely: nothing in the file is executed), or the model contract of an ONNX model and where each field came from',
  },
  {
    name: 'convert',
    usage: '[options] <checkpoint>',
    description: 'convert a YOLOv5 / Ultralytics (YOLOv5u, YOLOv8, YOLO11) .pt checkpoint to ONNX, natively and safely (no Python, nothing in the file is executed)',
  },
  {
    name: 'analyze',
    usage: '[options] <model>',
    description: 'report ops, parameters, MACs, quantization census and fusion opportunities of an ONNX model',
  },
  {
    name: 'quantize',
    usage: '[options] <model>',
    description: 'make an INT8 or FP16 variant of an ONNX model (dynamic INT8, static QDQ INT8 with calibration, FP16, accuracy-aware mixed INT8/float), or rebuild the FP32 model of a quantized one (dequantize)',
  },
  {
    name: 'bench',
    usage: '[options] <models...>',
    description: 'benchmark ONNX models in isolated child processes (controlled 1-thread, practical all-core, thread sweep)',
  },
  {
    name: 'diagnose',
    usage: '[options] <model>',
    description: 'profile a model with onnxruntime and explain where its time goes (optionally against a baseline)',
  },
  {
    name: 'eval',
    usage: '[options] <model>',
    description: 'measure COCO-style mAP of a YOLO ONNX model on a dataset: YOLO folder, Ultralytics data.yaml, COCO JSON or Pascal VOC',
  },
  {
    name: 'detect',
    usage: '[options] <model> <input>',
    description: 'detect objects in images, a folder or videos with an ONNX YOLO model, writing annotated copies and detections.json',
  },
  {
    name: 'run',
    usage: '[options]',
    description: 'the whole loop: prepare the model, build FP32/FP16/dynamic INT8 variants and search the INT8 configuration for this device (static presets on request), evaluate, benchmark, profile, select, and write results.json + report.md',
  },
  {
    name: 'select',
    usage: '[options] <results.json>',
    description: 'pick the best variant in a results.json for this machine under your constraints, with the reasons in numbers',
  },
  {
    name: 'report',
    usage: '<results.json>',
    description: 're-render report.md and the SVG charts from a results.json (e.g. after devices reported from the demo)',
  },
  {
    name: 'demo',
    usage: '[options]',
    description: 'serve a page that runs the models in the browser (camera or file) and benchmarks the device it runs on',
  },
  {
    name: 'optimize',
    usage: '[options] <model>',
    description: 'apply exact graph rewrites that make a model faster without changing its outputs (run before quantize)',
  },
  {
    name: 'history',
    usage: '[options]',
    description: 'what was measured, where and when (from the results store), and which changes between runs are beyond noise',
  },
  {
    name: 'fleet',
    usage: '',
    description: 'benchmark on many devices through a PostgreSQL job queue (agents run `edgeopt agent`)',
  },
  {
    name: 'agent',
    usage: '[options]',
    description: 'the fleet worker on a device: registers it, takes its jobs one at a time (one per host), runs them in the isolated benchmark harness and stores the results; SIGTERM stops it after the current job',
  },
] as const satisfies readonly CommandSummary[];

export type CommandName = (typeof COMMAND_TABLE)[number]['name'];

export function commandSummary(name: string): CommandSummary | undefined {
  return COMMAND_TABLE.find((c) => c.name === name);
}

/** `program.command(name)` with the table's description: how every command module starts. */
export function defineCommand(program: Command, name: CommandName): Command {
  return program.command(name).description(commandSummary(name)!.description);
}
