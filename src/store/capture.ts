import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, join } from 'node:path';
import type { BenchResult, BenchStats } from '../bench/benchmark.js';
import type { RunResults } from '../results/schema.js';
import type { AccuracyRecord, LatencyRecord, NewRun } from './records.js';

/**
 * Turns what the measuring stages return (BenchResult, RunResults, an eval result) into store
 * records. Pure apart from hashing the model files, so that a record always names the exact bytes
 * that were measured.
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The sha256 of each file, or undefined for one that cannot be read (it is then recorded without). */
export async function hashFiles(paths: readonly string[]): Promise<Map<string, string | undefined>> {
  const out = new Map<string, string | undefined>();
  for (const path of new Set(paths)) out.set(path, await sha256File(path).catch(() => undefined));
  return out;
}

export function latencyFromStats(variant: string, modelSha256: string | undefined, scenario: string, threads: number, provider: string, stats: BenchStats): LatencyRecord {
  return { variant, modelSha256, scenario, threads, provider, runs: stats.runs, p50Ms: stats.p50Ms, medianCi95: stats.medianCi95, stats };
}

const labelOf = (path: string) => basename(path).replace(/\.onnx$/i, '');

/** `edgeopt bench`: one latency per (model, scenario, threads) that produced timings. */
export function benchRun(results: readonly BenchResult[], hashes: Map<string, string | undefined>, settings: Record<string, unknown>, device: string, toolVersion: string): NewRun {
  const models = [...new Set(results.map((r) => r.model))];
  return {
    kind: 'bench',
    device,
    toolVersion,
    modelName: models.length === 1 ? labelOf(models[0]!) : models.map(labelOf).join(', '),
    status: results.every((r) => !r.error) ? 'complete' : results.some((r) => r.stats) ? 'partial' : 'failed',
    settings,
    provenance: { ...results[0]?.provenance, runs: results.map((r) => ({ model: labelOf(r.model), scenario: r.scenario, threads: r.threads, run: r.provenance.run })) },
    errors: results.filter((r) => r.error).map((r) => `${labelOf(r.model)} ${r.scenario}/${r.threads}: ${r.error}`),
    latencies: results
      .filter((r) => r.stats)
      .map((r) => latencyFromStats(labelOf(r.model), hashes.get(r.model), r.scenario, r.threads, r.provenance.run?.provider ?? 'cpu', r.stats!)),
    accuracies: [],
  };
}

/** `edgeopt run`: every variant's latencies per scenario and its accuracy, from results.json. */
export function pipelineRun(results: RunResults, outDir: string, hashes: Map<string, string | undefined>, device: string): NewRun {
  const latencies: LatencyRecord[] = [];
  const accuracies: AccuracyRecord[] = [];
  // results.json does not name the provider per variant; a run uses the first of its --providers that loads.
  const provider = 'cpu';
  for (const v of results.variants) {
    const sha = hashes.get(join(outDir, v.path));
    const b = v.benchmarks;
    if (b.controlled) latencies.push(latencyFromStats(v.name, sha, 'controlled', 1, provider, b.controlled));
    if (b.practical) latencies.push(latencyFromStats(v.name, sha, 'practical', b.practicalThreads ?? results.environment.cores, provider, b.practical));
    for (const s of b.sweep ?? []) latencies.push(latencyFromStats(v.name, sha, 'sweep', s.threads, provider, s.stats));
    if (v.accuracy) {
      accuracies.push({ variant: v.name, modelSha256: sha, dataset: results.settings.evalData ?? 'unknown', ...v.accuracy, ...(v.fidelity ? { fidelity: v.fidelity } : {}) });
    }
  }
  return {
    kind: 'run',
    createdAt: results.createdAt,
    device,
    toolVersion: results.tool.version,
    modelName: results.model.name,
    status: results.status,
    settings: { ...results.settings, outDir, model: results.model, selection: results.selection?.summary },
    provenance: { ...results.environment },
    errors: results.errors.map((e) => `${e.step}${e.variant ? ` (${e.variant})` : ''}: ${e.message}`),
    latencies,
    accuracies,
  };
}

/** `edgeopt eval`: one accuracy record (and the fidelity against the reference, when given). */
export function evalRun(
  modelPath: string,
  modelSha256: string | undefined,
  result: { dataset: string; images: number; map50: number; map50_95: number; precision: number; recall: number; fidelity?: { cosine: number; maxAbsDiff: number; detectionAgreement?: number } },
  settings: Record<string, unknown>,
  device: string,
  toolVersion: string,
): NewRun {
  const variant = labelOf(modelPath);
  const { dataset, images, map50, map50_95, precision, recall, fidelity } = result;
  return {
    kind: 'eval',
    device,
    toolVersion,
    modelName: variant,
    status: 'complete',
    settings,
    provenance: {},
    errors: [],
    latencies: [],
    accuracies: [
      {
        variant, modelSha256, dataset, images, map50, map50_95, precision, recall,
        ...(fidelity ? { fidelity: { cosine: fidelity.cosine, maxAbsDiff: fidelity.maxAbsDiff, detectionAgreement: fidelity.detectionAgreement } } : {}),
      },
    ],
  };
}
