import type { Command } from 'commander';
import { action, parseNumberOption } from '../action.js';
import { defineCommand } from './table.js';
import { STORE_FLAG_HELP, openFleetStore } from '../store.js';

interface AgentFlags {
  store?: string;
  device: string;
  tag: string[];
  evalData?: string;
  pollS: number;
  heartbeatS: number;
  leaseCheckS: number;
  maxJobs?: number;
  quiet?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerAgent(program: Command): void {
  defineCommand(program, 'agent')
    .option('--store <url>', `${STORE_FLAG_HELP}; must be PostgreSQL`)
    .requiredOption('--device <name>', 'this device\'s name (jobs submitted with --device NAME come here)')
    .option('--tag <tag>', 'also take jobs submitted with --tag TAG (repeatable)', collect, [])
    .option('--eval-data <dataset>', 'dataset for accuracy jobs (default: the shared coco_val128 when present)')
    .option('--poll-s <s>', 'how often an idle agent looks for work', parseNumberOption('--poll-s', 0.05, 600), 1)
    .option('--heartbeat-s <s>', 'how often the agent says it is alive', parseNumberOption('--heartbeat-s', 1, 3600), 10)
    .option('--lease-check-s <s>', 'how often expired leases (jobs of lost agents) are put back in the queue', parseNumberOption('--lease-check-s', 1, 3600, true), 15)
    .option('--max-jobs <n>', 'stop after this many jobs', parseNumberOption('--max-jobs', 1, 1e9, true))
    .option('-q, --quiet', 'no progress on stderr')
    .action(
      action(async (flags: AgentFlags) => {
        const { parseTarget } = await import('../../fleet/jobs.js');
        const { runAgent } = await import('../../fleet/agent.js');
        const { EdgeoptError } = await import('../../util/errors.js');
        const { existsSync } = await import('node:fs');
        const { sharedAsset } = await import('../../util/assets.js');
        const { TOOL_VERSION } = await import('../../util/version.js');
        const { stderrProgress } = await import('../../util/progress.js');
        parseTarget('device', flags.device);
        for (const t of flags.tag) parseTarget('tag', t);
        // A dataset named on the command line must exist now, not at the first accuracy job hours later.
        if (flags.evalData !== undefined && !existsSync(flags.evalData)) throw new EdgeoptError(`--eval-data: ${flags.evalData} not found`);
        const progress = stderrProgress({ quiet: flags.quiet });
        const store = await openFleetStore(flags.store, 'edgeopt agent', { poolSize: 6 });
        const controller = new AbortController();
        const stop = (signal: string) => {
          if (!controller.signal.aborted) progress.step(`${signal}: stopping after the current job`);
          controller.abort();
        };
        process.on('SIGTERM', () => stop('SIGTERM'));
        process.on('SIGINT', () => stop('SIGINT'));
        try {
          const summary = await runAgent({
            store,
            device: flags.device,
            tags: [...new Set(flags.tag)],
            evalData: flags.evalData ?? sharedAsset('coco_val128'),
            pollMs: flags.pollS * 1000,
            heartbeatMs: flags.heartbeatS * 1000,
            maintenanceIntervalSeconds: flags.leaseCheckS,
            maxJobs: flags.maxJobs,
            progress,
            signal: controller.signal,
            toolVersion: TOOL_VERSION,
          });
          progress.step(`agent stopped after ${summary.jobs} job(s), ${summary.failed} failed`);
        } finally {
          await store.close();
        }
      }),
    );
}
