import type { Command } from 'commander';
import type { Profile } from '../../diagnose/profile.js';
import { parseShape } from '../../bench/input.js';
import { EdgeoptError } from '../../util/errors.js';
import { action } from '../action.js';
import { defineCommand } from './table.js';
import { progressFor, providersOption, quietOption, runsOption, timeoutOption, warmupOption } from '../options.js';
import { warnProviderFallbacks } from '../warnings.js';

interface DiagnoseFlags {
  baseline?: string;
  scenario: string;
  runs: number;
  warmup: number;
  shape?: string;
  timeoutS: number;
  providers: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerDiagnose(program: Command): void {
  defineCommand(program, 'diagnose')
    .argument('<model>', 'ONNX model file')
    .option('--baseline <model>', 'baseline model (e.g. the FP32 original) to compare op by op')
    .option('--scenario <name>', 'controlled | practical', 'controlled')
    .addOption(runsOption('profiled runs kept after the warm-up', 10))
    .addOption(warmupOption('runs discarded from the profile', 3))
    .option('--shape <dims>', 'input shape for the first float input, e.g. 1,3,640,640')
    .addOption(timeoutOption('time limit per profiling child process, seconds'))
    .addOption(providersOption())
    .option('--json', 'print one JSON object { profile, baseline, comparison, findings }')
    .addOption(quietOption())
    .action(
      action(async (modelPath: string, flags: DiagnoseFlags) => {
        if (flags.scenario !== 'controlled' && flags.scenario !== 'practical') {
          throw new EdgeoptError(`--scenario for diagnose must be controlled or practical, got '${flags.scenario}'`);
        }
        const { parseProviders } = await import('../../runtime/providers.js');
        const providers = parseProviders(flags.providers);
        const { assertReadableFile } = await import('../../util/fs.js');
        await assertReadableFile(modelPath, 'model');
        if (flags.baseline) await assertReadableFile(flags.baseline, 'baseline model');
        const { basename } = await import('node:path');
        const { compareProfiles, findings, formatDiagnosis, profileModel } = await import('../../diagnose/index.js');
        const progress = progressFor(flags);
        const options = {
          scenario: flags.scenario,
          runs: flags.runs,
          warmup: flags.warmup,
          inputShape: flags.shape ? parseShape(flags.shape) : undefined,
          timeoutMs: flags.timeoutS * 1000,
          providers,
        } as const;
        progress.step(`profiling ${modelPath}`);
        const profile = await profileModel(modelPath, options);
        let baseline: Profile | undefined;
        if (flags.baseline) {
          progress.step(`profiling baseline ${flags.baseline}`);
          baseline = await profileModel(flags.baseline, options);
        }
        warnProviderFallbacks([profile, ...(baseline ? [baseline] : [])].map((p) => ({ label: basename(p.model), ...p })));
        const comparison = baseline ? compareProfiles(profile, baseline) : undefined;
        const text = findings({ variant: profile, baseline, comparison });
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({ profile, baseline: baseline ?? null, comparison: comparison ?? null, findings: text }, null, 2)}\n`
            : formatDiagnosis(profile, baseline, comparison, text),
        );
      }),
    );
}
