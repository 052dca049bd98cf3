import type { Command } from 'commander';
import { registerAnalyze } from './analyze.js';
import { registerBench } from './bench.js';
import { registerDiagnose } from './diagnose.js';
import { registerConvert } from './convert.js';
import { registerDemo } from './demo.js';
import { registerDetect } from './detect.js';
import { registerEval } from './eval.js';
import { registerAgent } from './agent.js';
import { registerFleet } from './fleet.js';
import { registerHistory } from './history.js';
import { registerInspect } from './inspect.js';
import { registerOptimize } from './optimize.js';
import { registerQuantize } from './quantize.js';
import { registerReport } from './report.js';
import { registerRun } from './run.js';
import { registerSelect } from './select.js';

/** Every CLI command registers itself here (one file per command), in pipeline order for --help. */
export const commands: Array<(program: Command) => void> = [
  registerInspect,
  registerConvert,
  registerAnalyze,
  registerQuantize,
  registerBench, registerDiagnose,
  registerEval,
  registerDetect,
  registerRun,
  registerSelect,
  registerReport,
  registerDemo,
  registerOptimize,
  registerHistory,
  registerFleet,
  registerAgent,
];
