import type { Command } from 'commander';
import { registerAnalyze } from './analyze.js';
import { registerBench, registerDiagnose } from './bench.js';
import { registerConvert } from './convert.js';
import { registerDemo } from './demo.js';
import { registerDetect } from './detect.js';
import { registerEval } from './eval.js';
import { registerInspect } from './inspect.js';
import { registerQuantize } from './quantize.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerSelect } from './select.js';

/** Every CLI command registers itself here: one file per command under src/cli/commands/. */
export const commands: Array<(program: Command) => void> = [
  registerAnalyze,
  registerBench, registerDiagnose,
  registerConvert,
  registerDemo,
  registerDetect,
  registerEval,
  registerInspect,
  registerQuantize,
  registerReport,
  registerRun,
  registerSelect,
];
