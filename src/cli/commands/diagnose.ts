import type { Command } from 'commander';
import { basename } from 'node:path';
import { compareProfiles, findings, profileModel, qualifiedOpType, type OpComparison, type Profile } from '../../diagnose/index.js';
import { EdgeoptError } from '../../util/errors.js';
import { assertReadableFile } from '../../util/fs.js';
import { stderrProgress } from '../../util/progress.js';
import { parseProviders } from '../../bench/session.js';
import { action, parseNumberOption } from '../action.js';
import { parseShape } from '../../bench/input.js';

interface DiagnoseFlags {
  baseline?: string;
  scenario: string;
  runs: number;
  warmup: number;
  shape?: string;
  timeoutS: number;
  providers: string[];
  json?: boolean;
}

const ms = (v: number) => v.toFixed(2);

function formatProfile(p: Profile): string {
  const lines = [
    `${p.model} (${p.scenario}, ${p.threads} thread${p.threads === 1 ? '' : 's'}, ${p.runs} profiled runs after ${p.warmup} warm-up): ${ms(p.runMs)} ms/run, kernels ${ms(p.kernelMs)} ms`,
    '',
    '  op type                     count   ms/run   share',
    ...p.opTypes.slice(0, 15).map((o) => `  ${o.opType.padEnd(26)} ${String(o.count).padStart(6)} ${ms(o.msPerRun).padStart(8)} ${`${(o.share * 100).toFixed(1)}%`.padStart(7)}`),
    '',
    '  slowest nodes',
    ...p.topNodes.map((n) => `  ${ms(n.msPerRun).padStart(8)} ms ${`${(n.share * 100).toFixed(1)}%`.padStart(6)}  ${n.opType.padEnd(16)} ${n.name}`),
    '',
    `  optimized graph: ${p.optimizedGraph.nodeCount} nodes (model: ${p.graph.nodeCount}); changed op counts: ` +
      (p.graphChanges.map((c) => `${qualifiedOpType(c.opType, c.domain)} ${c.before}→${c.after}`).join(', ') || 'none'),
  ];
  return `${lines.join('\n')}\n`;
}

function formatComparison(c: OpComparison): string {
  const lines = [
    `op by op: ${basename(c.variant.model)} vs ${basename(c.baseline.model)} (${ms(c.variant.runMs)} vs ${ms(c.baseline.runMs)} ms/run profiled, ratio ${c.ratio.toFixed(2)})`,
    '  op type                    variant (n, ms)   baseline (n, ms)   delta ms',
    ...c.ops
      .slice(0, 15)
      .map(
        (o) =>
          `  ${o.opType.padEnd(26)} ${String(o.variantCount).padStart(5)} ${ms(o.variantMs).padStart(8)}    ${String(o.baselineCount).padStart(5)} ${ms(o.baselineMs).padStart(8)}   ${`${o.deltaMs >= 0 ? '+' : ''}${ms(o.deltaMs)}`.padStart(8)}`,
      ),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerDiagnose(program: Command): void {
  program
    .command('diagnose')
    .description('profile a model with onnxruntime and explain where its time goes (optionally against a baseline)')
    .argument('<model>', 'ONNX model file')
    .option('--baseline <model>', 'baseline model (e.g. the FP32 original) to compare op by op')
    .option('--scenario <name>', 'controlled | practical', 'controlled')
    .option('--runs <n>', 'profiled runs kept after the warm-up', parseNumberOption('--runs', 1, 10_000, true), 10)
    .option('--warmup <n>', 'runs discarded from the profile', parseNumberOption('--warmup', 0, 1000, true), 3)
    .option('--shape <dims>', 'input shape for the first float input, e.g. 1,3,640,640')
    .option('--timeout-s <s>', 'time limit per profiling child process, seconds', parseNumberOption('--timeout-s', 0.001, 86_400), 600)
    .option('--providers <list>', 'execution providers to try in order, falling back explicitly (e.g. cuda,cpu)', parseProviders, ['cpu'])
    .option('--json', 'print one JSON object { profile, baseline, comparison, findings }')
    .action(
      action(async (modelPath: string, flags: DiagnoseFlags) => {
        if (flags.scenario !== 'controlled' && flags.scenario !== 'practical') {
          throw new EdgeoptError(`--scenario for diagnose must be controlled or practical, got '${flags.scenario}'`);
        }
        await assertReadableFile(modelPath, 'model');
        if (flags.baseline) await assertReadableFile(flags.baseline, 'baseline model');
        const progress = stderrProgress({ quiet: flags.json });
        const options = {
          scenario: flags.scenario,
          runs: flags.runs,
          warmup: flags.warmup,
          inputShape: flags.shape ? parseShape(flags.shape) : undefined,
          timeoutMs: flags.timeoutS * 1000,
          providers: flags.providers,
        } as const;
        progress.step(`profiling ${modelPath}`);
        const profile = await profileModel(modelPath, options);
        let baseline: Profile | undefined;
        if (flags.baseline) {
          progress.step(`profiling baseline ${flags.baseline}`);
          baseline = await profileModel(flags.baseline, options);
        }
        const comparison = baseline ? compareProfiles(profile, baseline) : undefined;
        const text = findings({ variant: profile, baseline, comparison });
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ profile, baseline: baseline ?? null, comparison: comparison ?? null, findings: text }, null, 2)}\n`);
          return;
        }
        let out = formatProfile(profile);
        if (baseline && comparison) out += `\n${formatProfile(baseline)}\n${formatComparison(comparison)}`;
        out += `\nfindings:\n${text.map((t) => `- ${t}`).join('\n')}\n`;
        process.stdout.write(out);
      }),
    );
}
