import { join } from 'node:path';
import type { BenchStats } from '../bench/benchmark.js';
import { machineProvenance } from '../bench/provenance.js';
import { renderCharts, type Chart } from '../report/charts.js';
import { markdownTable } from '../report/markdown.js';
import { writeResults } from '../results/io.js';
import { RESULTS_SCHEMA_VERSION, type DeviceReport, type RunResults, type VariantResult } from '../results/schema.js';
import { selectVariant } from '../select/select.js';
import type { DeviceRecord, MachineDeviceProvenance, RunRecord } from '../store/records.js';
import type { ResultsStore } from '../store/store.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { SubmittedVariant } from './submit.js';
import { speedRatioPhrase, speedRatioText } from '../util/speed.js';

/**
 * `edgeopt fleet report`: the cross-device report of one submission — a variant × device latency
 * table, the selection each device's own numbers lead to, charts, and results.json (the same
 * schema as `edgeopt run`, with a `devices` section). The study's platform table, measured.
 */
export interface SubmissionInfo {
  id: string;
  createdAt: string;
  modelName: string;
  targets: string[];
  variants: SubmittedVariant[];
  settings: { scenarios?: string[]; runs?: number; warmup?: number; rounds?: number; eval?: boolean };
  jobCount: number;
}

export interface FleetReport {
  submission: SubmissionInfo;
  results: RunResults;
  jobs: Array<{ id: string; target: string; kind: string; variant: string; state: string; device?: string; error?: string }>;
  /** One line per device: "on pi5: fp32 — int8-dynamic 1.30x slower than FP32". */
  selections: string[];
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function loadSubmission(store: ResultsStore, id: string | undefined): Promise<SubmissionInfo> {
  const db = store.postgres('fleet report');
  const rows = id
    ? await db.all('SELECT * FROM submissions WHERE id = ? OR id LIKE ? ORDER BY created_at DESC LIMIT 2', [id, `${id}%`])
    : await db.all('SELECT * FROM submissions ORDER BY created_at DESC LIMIT 1');
  if (rows.length === 0) throw new EdgeoptError(id ? `no submission '${id}' in ${store.location.display}` : `no submissions in ${store.location.display} yet`);
  if (rows.length > 1 && rows[0]!.id !== id) throw new EdgeoptError(`submission id prefix '${id}' is ambiguous; give more characters`);
  const r = rows[0]!;
  return {
    id: String(r.id),
    createdAt: String(r.created_at),
    modelName: String(r.model_name),
    targets: JSON.parse(String(r.targets)) as string[],
    variants: JSON.parse(String(r.variants)) as SubmittedVariant[],
    settings: JSON.parse(String(r.settings)) as SubmissionInfo['settings'],
    jobCount: Number(r.job_count),
  };
}

/** The phrase for one device's verdict, naming the best alternative when FP32 wins. */
function deviceSentence(device: string, perDevice: RunResults): string {
  let selection;
  try {
    selection = selectVariant(perDevice, {}, 'controlled');
  } catch (err) {
    return `on ${device}: no selection (${describeError(err)})`;
  }
  if (!selection.chosen) return `on ${device}: no variant qualifies (${selection.reasons.map((r) => r.text).join('; ')})`;
  const fp32 = perDevice.variants.find((v) => v.name === 'fp32')?.benchmarks.controlled;
  const chosenStats = perDevice.variants.find((v) => v.name === selection.chosen)!.benchmarks.controlled!;
  if (selection.chosen !== 'fp32' || !fp32) {
    return `on ${device}: ${selection.chosen}${fp32 ? `, ${speedRatioPhrase(chosenStats.p50Ms, fp32.p50Ms, 'FP32')} (${ms(chosenStats.p50Ms)} vs ${ms(fp32.p50Ms)} ms)` : ''}`;
  }
  const others = perDevice.variants.filter((v) => v.name !== 'fp32' && v.benchmarks.controlled).sort((a, b) => a.benchmarks.controlled!.p50Ms - b.benchmarks.controlled!.p50Ms);
  const best = others[0];
  if (!best) return `on ${device}: fp32 (the only variant measured)`;
  const speed = speedRatioText(best.benchmarks.controlled!.p50Ms, fp32.p50Ms);
  const rejected = selection.reasons.find((r) => r.variant === best.name && !r.accepted);
  return `on ${device}: fp32, ${best.name} ${speed}${speed.endsWith('faster') ? ` but ${rejected ? rejected.text.replace(/^[^:]+: /, '') : 'rejected'}` : ''}`;
}

function latestPerKey<T>(items: Array<{ run: RunRecord; item: T }>, key: (t: T) => string): Map<string, { run: RunRecord; item: T }> {
  const out = new Map<string, { run: RunRecord; item: T }>();
  for (const entry of items) {
    const k = `${entry.run.device}\u0000${key(entry.item)}`;
    const have = out.get(k);
    if (!have || have.run.createdAt < entry.run.createdAt) out.set(k, entry);
  }
  return out;
}

export async function buildFleetReport(store: ResultsStore, submissionId?: string): Promise<FleetReport> {
  const submission = await loadSubmission(store, submissionId);
  const db = store.postgres('fleet report');
  const jobRows = await db.all('SELECT * FROM fleet_jobs WHERE submission_id = ? ORDER BY target, variant, kind', [submission.id]);
  const jobs = jobRows.map((j) => ({
    id: String(j.id), target: String(j.target), kind: String(j.kind), variant: String(j.variant), state: String(j.state),
    device: (j.device as string | null) ?? undefined, error: (j.error as string | null) ?? undefined,
  }));
  const runs = await store.runs({ submissionId: submission.id, limit: 100_000 });
  const deviceRecords = new Map<string, DeviceRecord>((await store.devices()).map((d) => [d.name, d]));
  const latencies = latestPerKey(runs.flatMap((run) => run.latencies.map((item) => ({ run, item }))), (l) => `${l.variant}\u0000${l.scenario}\u0000${l.threads}\u0000${l.provider}`);
  const accuracies = latestPerKey(runs.flatMap((run) => run.accuracies.map((item) => ({ run, item }))), (a) => a.variant);
  const deviceNames = [...new Set(runs.map((r) => r.device))].sort();

  const variants: VariantResult[] = submission.variants.map((v) => ({
    name: v.variant,
    description: v.description ?? v.name,
    path: `sha256:${v.sha256}`,
    sizeBytes: v.sizeBytes,
    analysis: v.analysis ?? { nodes: 0, parameters: 0, parameterBytes: 0, macs: 0, opCounts: {}, quantization: {} },
    benchmarks: {},
    errors: jobs.filter((j) => j.variant === v.variant && j.state === 'failed').map((j) => `${j.device ?? j.target}: ${j.error ?? 'failed'}`),
  }));
  const base: RunResults = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    tool: { name: 'edgeopt', version: runs[0]?.toolVersion ?? 'unknown' },
    createdAt: new Date().toISOString(),
    status: jobs.every((j) => j.state === 'done') ? 'complete' : 'partial',
    environment: machineProvenance(),
    model: {
      source: `fleet submission ${submission.id}`,
      name: submission.modelName,
      synthetic: false,
      notes: ['Fleet report: every measurement is per device, in `devices`; `environment` is the machine that wrote this report.'],
    },
    settings: {
      runs: submission.settings.runs ?? 0,
      warmup: submission.settings.warmup ?? 0,
      rounds: submission.settings.rounds ?? 0,
      scenarios: submission.settings.scenarios ?? [],
      skipped: [],
    },
    variants,
    findings: [],
    errors: jobs.filter((j) => j.state === 'failed').map((j) => ({ step: `fleet ${j.kind}`, variant: j.variant, message: `${j.device ?? j.target}: ${j.error ?? 'failed'}` })),
  };

  const selections: string[] = [];
  const devices: DeviceReport[] = deviceNames.map((name) => {
    const record = deviceRecords.get(name);
    const mine = [...latencies.values()].filter((e) => e.run.device === name);
    const acc = [...accuracies.values()].filter((e) => e.run.device === name);
    const perDevice: RunResults = {
      ...base,
      environment: (record?.provenance as MachineDeviceProvenance | undefined)?.isa ? (record!.provenance as MachineDeviceProvenance) : base.environment,
      variants: variants.map((v) => {
        const controlled = mine.find((e) => e.item.variant === v.name && e.item.scenario === 'controlled');
        const practical = mine.find((e) => e.item.variant === v.name && e.item.scenario === 'practical');
        const accuracy = acc.find((e) => e.item.variant === v.name)?.item;
        return {
          ...v,
          benchmarks: {
            ...(controlled ? { controlled: controlled.item.stats as BenchStats } : {}),
            ...(practical ? { practical: practical.item.stats as BenchStats, practicalThreads: practical.item.threads } : {}),
          },
          ...(accuracy ? { accuracy: { images: accuracy.images, map50: accuracy.map50, map50_95: accuracy.map50_95, precision: accuracy.precision, recall: accuracy.recall } } : {}),
          ...(accuracy?.fidelity ? { fidelity: accuracy.fidelity } : {}),
        };
      }),
    };
    selections.push(deviceSentence(name, perDevice));
    let selection;
    try {
      selection = selectVariant(perDevice, {}, 'controlled');
    } catch {
      selection = undefined;
    }
    const last = [...mine.map((e) => e.run.createdAt), ...acc.map((e) => e.run.createdAt)].sort().pop() ?? submission.createdAt;
    return {
      receivedAt: last,
      device: { name, kind: record?.kind ?? 'machine', ...(record ? { provenance: record.provenance as MachineDeviceProvenance } : {}) },
      results: mine.map(({ item: l }) => ({
        variant: l.variant, backend: l.provider, threads: l.threads, runs: l.runs, p50Ms: l.p50Ms,
        meanMs: (l.stats as { meanMs?: number }).meanMs, p95Ms: (l.stats as { p95Ms?: number }).p95Ms, scenario: l.scenario, ...(l.medianCi95 ? { medianCi95: l.medianCi95 } : {}),
      })),
      ...(acc.length ? { accuracy: acc.map(({ item: a }) => ({ variant: a.variant, dataset: a.dataset, images: a.images, map50: a.map50, map50_95: a.map50_95, precision: a.precision, recall: a.recall })) } : {}),
      ...(selection ? { selection } : {}),
    };
  });
  return { submission, jobs, selections, results: { ...base, devices, findings: selections } };
}

export function renderFleetReport(report: FleetReport, charts: Chart[]): string {
  const { submission, results, jobs } = report;
  const devices = results.devices ?? [];
  const out: string[] = [];
  const done = jobs.filter((j) => j.state === 'done').length;
  const failed = jobs.filter((j) => j.state === 'failed').length;
  out.push(`# edgeopt fleet report: ${submission.modelName}`, '');
  out.push(`Submission ${submission.id}, made ${submission.createdAt}: ${submission.variants.length} variant(s) to ${submission.targets.join(', ')}; ${done} of ${jobs.length} job(s) done, ${failed} failed${jobs.length - done - failed ? `, ${jobs.length - done - failed} still queued or running` : ''}. Report written ${results.createdAt}.`);
  const s = submission.settings;
  out.push('', `Each device measured with the same isolated harness as \`edgeopt bench\`: ${s.runs} timed runs (adaptive) in ${s.rounds} round(s) of fresh processes, ${s.warmup} warm-up runs each, scenario(s) ${(s.scenarios ?? []).join(', ')}.`);
  for (const scenario of submission.settings.scenarios ?? ['controlled']) {
    const header = ['variant', 'size MB', ...devices.map((d) => d.device.name ?? '?')];
    const rows = results.variants.map((v) => [
      v.name,
      (v.sizeBytes / 1e6).toFixed(2),
      ...devices.map((d) => {
        const mine = d.results.filter((r) => r.variant === v.name && r.scenario === scenario);
        const fp32 = d.results.find((r) => r.variant === 'fp32' && r.scenario === scenario && r.threads === mine[0]?.threads);
        if (mine.length === 0) return '–';
        return mine.map((r) => `${ms(r.p50Ms)}${r.medianCi95 ? ` [${ms(r.medianCi95[0])}, ${ms(r.medianCi95[1])}]` : ''}${fp32 ? ` (${(fp32.p50Ms / r.p50Ms).toFixed(2)}x)` : ''}${scenario !== 'controlled' ? ` @${r.threads} thr` : ''}`).join('; ');
      }),
    ]);
    out.push('', `## Latency per variant and device: ${scenario} (p50 ms, 95% CI of the median, speed vs FP32 on the same device)`, '');
    out.push(markdownTable(header, rows, header.map((_, i) => i === 1)));
  }
  const withAccuracy = devices.filter((d) => d.accuracy?.length);
  if (withAccuracy.length) {
    out.push('', '## Accuracy per device (mAP50-95, measured on the device)', '');
    out.push(markdownTable(['variant', ...withAccuracy.map((d) => d.device.name ?? '?')], results.variants.map((v) => [v.name, ...withAccuracy.map((d) => {
      const a = d.accuracy!.find((x) => x.variant === v.name);
      return a ? `${(a.map50_95 * 100).toFixed(2)} (${a.images} images)` : '–';
    })])));
  }
  out.push('', '## Selection per device (controlled scenario, from each device\'s own numbers)', '');
  for (const line of report.selections) out.push(`- ${line}`);
  if (charts.some((c) => c.file === 'devices.svg')) out.push('', '![devices.svg](devices.svg)');
  out.push('', '## Devices', '');
  out.push(markdownTable(['device', 'CPU', 'cores', 'memory', 'ISA flags', 'OS', 'onnxruntime', 'providers'], devices.map((d) => {
    const p = d.device.provenance;
    return [d.device.name ?? '?', p?.cpuModel ?? d.device.userAgent ?? '?', p?.cores ?? d.device.hardwareConcurrency ?? '–', p?.memoryBytes ? `${(p.memoryBytes / 2 ** 30).toFixed(0)} GiB` : '–', p?.isa.flags.join(' ') || '–', p?.os ?? d.device.platform ?? '–', p ? `${p.runtime.name} ${p.runtime.version}` : '–', p?.providers?.join(', ') ?? '–'];
  })));
  const failures = jobs.filter((j) => j.state === 'failed');
  if (failures.length) {
    out.push('', '## Failed jobs', '');
    for (const j of failures) out.push(`- ${j.kind} ${j.variant} on ${j.device ?? j.target}: ${j.error ?? 'failed'}`);
  }
  return `${out.join('\n')}\n`;
}

/** Writes results.json, report.md and the charts into `outDir`; returns the report. */
export async function writeFleetReport(store: ResultsStore, outDir: string, submissionId?: string): Promise<FleetReport & { files: string[] }> {
  const report = await buildFleetReport(store, submissionId);
  const charts = await renderCharts(report.results);
  const files = ['results.json', 'report.md', ...charts.map((c) => c.file)];
  for (const chart of charts) await writeFileAtomic(join(outDir, chart.file), chart.svg);
  await writeResults(join(outDir, 'results.json'), report.results);
  await writeFileAtomic(join(outDir, 'report.md'), renderFleetReport(report, charts));
  return { ...report, files };
}
