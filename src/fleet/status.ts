import type PgBoss from 'pg-boss';
import type { DeviceRecord, MachineDeviceProvenance } from '../store/records.js';
import type { ResultsStore } from '../store/store.js';

/**
 * `edgeopt fleet status`: devices with their last-seen time and provenance, and job counts per
 * device (or target, for jobs no agent has taken yet) and per submission. The store's job table
 * says what agents reported; a job it lists as running whose agent vanished is checked against the
 * queue, which knows whether its lease ran out and it went back for another try.
 */
export type JobState = 'queued' | 'running' | 'done' | 'failed';
export const JOB_STATES: readonly JobState[] = ['queued', 'running', 'done', 'failed'];

export type StateCounts = Record<JobState, number>;

export interface AgentStatus {
  id: string;
  pid: number;
  state: string;
  currentJob?: string;
  startedAt: string;
  lastSeen: string;
  /** Heartbeat older than the threshold: killed or cut off (not stopped cleanly). */
  lost: boolean;
}

export interface DeviceStatus extends DeviceRecord {
  agents: AgentStatus[];
}

export interface FleetStatus {
  generatedAt: string;
  devices: DeviceStatus[];
  /** Keyed by the device that took the job, or `device:NAME` / `tag:TAG` for jobs still waiting. */
  byDevice: Record<string, StateCounts>;
  submissions: Array<{ id: string; createdAt: string; modelName: string; targets: string[]; jobs: number; states: StateCounts }>;
  /** Running jobs whose lease expired: waiting for another try, or failed for good. */
  requeued: Array<{ jobId: string; queueState: string; lastAgent?: string }>;
}

const empty = (): StateCounts => ({ queued: 0, running: 0, done: 0, failed: 0 });

export async function fleetStatus(store: ResultsStore, boss: PgBoss | undefined, options: { lostAfterMs?: number; now?: Date } = {}): Promise<FleetStatus> {
  const db = store.postgres('fleet status');
  const now = options.now ?? new Date();
  const lostAfterMs = options.lostAfterMs ?? 60_000;
  const agents = await db.all('SELECT * FROM agents ORDER BY started_at DESC');
  const devices: DeviceStatus[] = (await store.devices()).map((d) => ({
    ...d,
    agents: agents
      .filter((a) => a.device === d.name && (a.state !== 'stopped' || now.getTime() - Date.parse(String(a.last_seen)) < 3_600_000))
      .map((a) => ({
        id: String(a.id),
        pid: Number(a.pid),
        state: String(a.state),
        currentJob: (a.current_job as string | null) ?? undefined,
        startedAt: String(a.started_at),
        lastSeen: String(a.last_seen),
        lost: a.state !== 'stopped' && now.getTime() - Date.parse(String(a.last_seen)) > lostAfterMs,
      })),
  }));
  const jobs = await db.all<{ id: string; queue: string; submission_id: string; target: string; device: string | null; state: JobState; agent_id: string | null }>(
    'SELECT id, queue, submission_id, target, device, state, agent_id FROM fleet_jobs',
  );
  const requeued: FleetStatus['requeued'] = [];
  for (const job of jobs.filter((j) => j.state === 'running')) {
    const agent = devices.flatMap((d) => d.agents).find((a) => a.id === job.agent_id);
    if (!boss || (agent && !agent.lost && agent.state !== 'stopped')) continue;
    const queued = await boss.getJobById(job.queue, job.id, { includeArchive: true }).catch(() => null);
    if (queued && queued.state !== 'active') {
      requeued.push({ jobId: job.id, queueState: queued.state, lastAgent: job.agent_id ?? undefined });
      job.state = queued.state === 'failed' ? 'failed' : 'queued';
    }
  }
  const byDevice: Record<string, StateCounts> = {};
  for (const job of jobs) {
    const key = job.state === 'queued' || !job.device ? job.target : job.device;
    (byDevice[key] ??= empty())[job.state]++;
  }
  const subs = await db.all('SELECT id, created_at, model_name, targets, job_count FROM submissions ORDER BY created_at DESC');
  const submissions = subs.map((s) => {
    const states = empty();
    for (const j of jobs.filter((j) => j.submission_id === s.id)) states[j.state]++;
    return { id: String(s.id), createdAt: String(s.created_at), modelName: String(s.model_name), targets: JSON.parse(String(s.targets)) as string[], jobs: Number(s.job_count), states };
  });
  return { generatedAt: now.toISOString(), devices, byDevice, submissions, requeued };
}

function ago(iso: string, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : s < 172_800 ? `${Math.round(s / 3600)} h ago` : `${Math.round(s / 86_400)} days ago`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}`).join('\n');
}

export function formatFleetStatus(status: FleetStatus): string {
  const now = new Date(status.generatedAt);
  const out: string[] = [];
  out.push('devices');
  if (status.devices.length === 0) out.push('  (none registered yet: start `edgeopt agent` on a device)');
  else {
    const rows = [['device', 'kind', 'last seen', 'cpu', 'cores', 'memory', 'onnxruntime', 'providers', 'agents']];
    for (const d of status.devices) {
      const p = d.provenance as Partial<MachineDeviceProvenance> & { userAgent?: string };
      const agents = d.agents.filter((a) => a.state !== 'stopped');
      const agentText = agents.length === 0 ? (d.kind === 'browser' ? '-' : 'none') : agents.map((a) => (a.lost ? `lost (pid ${a.pid})` : `${a.state} (pid ${a.pid})`)).join(', ');
      rows.push([
        d.name, d.kind, ago(d.lastSeen, now), (p.cpuModel ?? p.userAgent ?? '?').slice(0, 40), String(p.cores ?? '?'),
        p.memoryBytes ? `${(p.memoryBytes / 2 ** 30).toFixed(0)} GiB` : '?', p.runtime?.version ?? '?', (p.providers ?? []).join(',') || '?', agentText,
      ]);
    }
    out.push(table(rows));
  }
  out.push('', 'jobs per device (or target, while waiting)');
  const keys = Object.keys(status.byDevice).sort();
  out.push(keys.length === 0 ? '  (no jobs)' : table([['device / target', ...JOB_STATES], ...keys.map((k) => [k, ...JOB_STATES.map((s) => String(status.byDevice[k]![s]))])]));
  out.push('', 'submissions');
  out.push(
    status.submissions.length === 0
      ? '  (none)'
      : table([['id', 'submitted', 'model', 'targets', 'jobs', ...JOB_STATES], ...status.submissions.map((s) => [s.id.slice(0, 8), ago(s.createdAt, now), s.modelName, s.targets.join(','), String(s.jobs), ...JOB_STATES.map((k) => String(s.states[k]))])]),
  );
  for (const r of status.requeued) out.push(`  job ${r.jobId.slice(0, 8)}: its agent was lost; the queue ${r.queueState === 'failed' ? 'failed it after its last retry' : `has it as '${r.queueState}' for another try`}`);
  return `${out.join('\n')}\n`;
}
