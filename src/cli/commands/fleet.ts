import type { Command } from 'commander';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';
import { STORE_FLAG_HELP, openFleetStore } from '../store.js';

/**
 * `edgeopt fleet submit|status|report`. Everything heavy (pg, pg-boss, the store) is imported inside
 * the actions, so `edgeopt --help` does not load it.
 */
interface SubmitFlags {
  store?: string;
  device: string[];
  tag: string[];
  variants?: string;
  eval?: boolean;
  evalImages?: number;
  scenario: string;
  runs: number;
  warmup: number;
  rounds: number;
  maxRuns?: number;
  providers?: string[];
  timeoutS: number;
  leaseGraceS: number;
  retries: number;
  repeat: number;
  waitForDevice?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerFleet(program: Command): void {
  const fleet = defineCommand(program, 'fleet');

  fleet
    .command('submit')
    .description('enqueue benchmark (and, with --eval, accuracy) jobs for each variant on each target device or tag')
    .argument('<inputs...>', 'a run directory (edgeopt run -o DIR), or .onnx / .pt files (one variant each)')
    .option('--store <url>', `${STORE_FLAG_HELP}; must be PostgreSQL`)
    .option('--device <name>', 'a device to run on (repeatable)', collect, [])
    .option('--tag <tag>', 'run once on any one agent with this tag (repeatable)', collect, [])
    .option('--variants <list>', "with a run directory: only these of its variants (e.g. fp32,int8-dynamic,int8-static-full)")
    .option('--eval', "also measure accuracy on each device (on the agent's --eval-data)")
    .option('--eval-images <n>', 'evaluate on at most this many images', parseNumberOption('--eval-images', 1, 1e7, true))
    .option('--scenario <list>', 'controlled, practical, sweep, a comma list, or all', 'controlled')
    .option('--runs <n>', 'timed runs per variant and scenario', parseNumberOption('--runs', 1, 100_000, true), 100)
    .option('--warmup <n>', 'untimed warm-up runs per process', parseNumberOption('--warmup', 0, 10_000, true), 10)
    .option('--rounds <n>', 'rounds of fresh processes', parseNumberOption('--rounds', 1, 100, true), 3)
    .option('--max-runs <n>', 'cap on runs while the median CI is wider than ±2% (default 5 × runs)', parseNumberOption('--max-runs', 1, 100_000, true))
    .option('--providers <list>', 'execution providers to try in order on the device (default cpu)')
    .option('--timeout-s <s>', 'time limit per job; a job past it is killed and recorded as failed', parseNumberOption('--timeout-s', 1, 6 * 3600, true), 1800)
    .option('--lease-grace-s <s>', 'a job whose agent vanished is handed out again this long after its time limit', parseNumberOption('--lease-grace-s', 1, 3600, true), 60)
    .option('--retries <n>', 'how often such a job is handed out again before it is failed', parseNumberOption('--retries', 0, 20, true), 3)
    .option('--repeat <n>', 'submit every job this many times (repeated measurements)', parseNumberOption('--repeat', 1, 100_000, true), 1)
    .option('--wait-for-device', 'accept --device / --tag names no agent has registered yet (their jobs wait until one does)')
    .option('--json', 'print the submission as JSON')
    .action(
      action(async (inputs: string[], flags: SubmitFlags) => {
        const { EdgeoptError } = await import('../../util/errors.js');
        const { parseScenarios } = await import('../../bench/scenarios.js');
        const { parseProviders } = await import('../../runtime/providers.js');
        const { parseTarget } = await import('../../fleet/jobs.js');
        const { submitJobs } = await import('../../fleet/submit.js');
        const { stderrProgress } = await import('../../util/progress.js');
        if (flags.maxRuns !== undefined && flags.maxRuns < flags.runs) throw new EdgeoptError(`--max-runs (${flags.maxRuns}) must be at least --runs (${flags.runs})`);
        const targets = [...flags.device.map((d) => parseTarget('device', d)), ...flags.tag.map((t) => parseTarget('tag', t))];
        if (targets.length === 0) throw new EdgeoptError('name at least one --device NAME or --tag TAG to run on');
        const progress = stderrProgress({ quiet: flags.json });
        const store = await openFleetStore(flags.store, 'fleet submit');
        try {
          const submission = await submitJobs({
            store,
            targets,
            inputs,
            variants: flags.variants?.split(',').map((s) => s.trim()).filter(Boolean),
            eval: flags.eval,
            evalImages: flags.evalImages,
            scenarios: parseScenarios(flags.scenario),
            runs: flags.runs,
            warmup: flags.warmup,
            rounds: flags.rounds,
            maxRuns: flags.maxRuns,
            providers: flags.providers ? parseProviders(String(flags.providers)) : undefined,
            timeoutS: flags.timeoutS,
            leaseGraceS: flags.leaseGraceS,
            retryLimit: flags.retries,
            repeat: flags.repeat,
            waitForDevice: flags.waitForDevice,
            progress,
          });
          if (flags.json) process.stdout.write(`${JSON.stringify(submission, null, 2)}\n`);
          else {
            process.stdout.write(`${submission.id}\n`);
            progress.step(`submitted ${submission.jobs} job(s) for ${submission.modelName} (${submission.variants.map((v) => v.variant).join(', ')}) to ${submission.targets.join(', ')}`);
          }
        } finally {
          await store.close();
        }
      }),
    );

  fleet
    .command('status')
    .description('devices (last seen, provenance, agents) and jobs queued / running / done / failed per device and per submission')
    .option('--store <url>', `${STORE_FLAG_HELP}; must be PostgreSQL`)
    .option('--json', 'print one JSON object')
    .action(
      action(async (flags: { store?: string; json?: boolean }) => {
        const { fleetStatus, formatFleetStatus } = await import('../../fleet/status.js');
        const { openQueue } = await import('../../fleet/queue.js');
        const store = await openFleetStore(flags.store, 'fleet status');
        try {
          const boss = await openQueue(store.postgres());
          try {
            const status = await fleetStatus(store, boss);
            process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatFleetStatus(status));
          } finally {
            await boss.stop({ graceful: false, close: false, wait: true }).catch(() => undefined);
          }
        } finally {
          await store.close();
        }
      }),
    );

  fleet
    .command('report')
    .description('the cross-device report of a submission: variant × device latency, selection per device, charts, results.json with devices')
    .option('--store <url>', `${STORE_FLAG_HELP}; must be PostgreSQL`)
    .option('--submission <id>', 'the submission (id or prefix; default: the latest)')
    .requiredOption('-o, --output <dir>', 'output directory')
    .option('--json', 'print the report as JSON (results.json) instead of the summary')
    .action(
      action(async (flags: { store?: string; submission?: string; output: string; json?: boolean }) => {
        const { writeFleetReport } = await import('../../fleet/report.js');
        const { resolve, join } = await import('node:path');
        const store = await openFleetStore(flags.store, 'fleet report');
        try {
          const dir = resolve(flags.output);
          const report = await writeFleetReport(store, dir, flags.submission);
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(report.results, null, 2)}\n`);
            return 0;
          }
          const done = report.jobs.filter((j) => j.state === 'done').length;
          process.stdout.write(`submission ${report.submission.id}: ${report.submission.modelName}, ${done}/${report.jobs.length} jobs done\n`);
          for (const line of report.selections) process.stdout.write(`${line}\n`);
          process.stdout.write(`wrote ${report.files.map((f) => join(dir, f)).join(', ')}\n`);
          return report.results.status === 'complete' ? 0 : 2;
        } finally {
          await store.close();
        }
      }),
    );
}
