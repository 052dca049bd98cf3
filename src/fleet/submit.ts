import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { readResults } from '../results/io.js';
import type { VariantAnalysis } from '../results/schema.js';
import { sha256File } from '../store/capture.js';
import type { ResultsStore } from '../store/store.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import { assertReadableFile } from '../util/fs.js';
import type { Progress } from '../util/progress.js';
import { parseJob, queueName, targetName, type BenchSettings, type FleetJob, type JobModel, type Target } from './jobs.js';
import { ensureQueue, openQueue } from './queue.js';

/**
 * `edgeopt fleet submit`: the model files go into the store content-addressed (sha256), and one
 * job per variant × target (× kind) into the queue — all in one transaction, so a submitter that
 * dies half-way leaves nothing behind, and an agent never sees a job whose model is missing.
 */
export interface SubmitOptions extends BenchSettings {
  store: ResultsStore;
  targets: Target[];
  /** A run directory, or one or more .onnx / .pt files (each one variant). */
  inputs: string[];
  /** With a run directory: only these of its variants. */
  variants?: string[];
  eval?: boolean;
  evalImages?: number;
  /** Per job; the runner is killed past it. */
  timeoutS: number;
  /** Lease = timeout + this: how long after a lost agent its job is handed out again. */
  leaseGraceS: number;
  /** How many times a job whose agent vanished is handed out again before it is failed. */
  retryLimit: number;
  /** Submit every job this many times (repeated measurements over time; default 1). */
  repeat?: number;
  /**
   * Accept device names and tags no agent has registered yet (their jobs wait for one). Without it
   * such a target is an error: a mistyped name would otherwise leave jobs queued for ever.
   */
  waitForDevice?: boolean;
  progress: Progress;
}

export interface SubmittedVariant extends JobModel {
  variant: string;
  description?: string;
  analysis?: VariantAnalysis;
}

export interface Submission {
  id: string;
  modelName: string;
  variants: SubmittedVariant[];
  targets: string[];
  jobs: number;
}

interface VariantFile {
  variant: string;
  path: string;
  description?: string;
  analysis?: VariantAnalysis;
}

const plainName = (text: string) => text.replace(/[^A-Za-z0-9._+-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 128) || 'model';

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** What to send: a run directory's variants, or model files (a .pt is converted to ONNX first). */
async function variantFiles(inputs: string[], only: string[] | undefined, progress: Progress): Promise<{ modelName: string; files: VariantFile[]; cleanup: () => Promise<void> }> {
  if (inputs.length === 1 && (await isDirectory(inputs[0]!))) {
    const dir = inputs[0]!;
    const results = await readResults(join(dir, 'results.json'));
    const built = results.variants.filter((v) => v.sizeBytes > 0);
    for (const name of only ?? []) {
      if (!built.some((v) => v.name === name)) throw new EdgeoptError(`--variants: '${name}' is not among ${dir}'s variants (${built.map((v) => v.name).join(', ')})`);
    }
    const files = built.filter((v) => !only || only.includes(v.name)).map((v) => ({ variant: v.name, path: join(dir, v.path), description: v.description, analysis: v.analysis }));
    return { modelName: plainName(results.model.name), files, cleanup: async () => undefined };
  }
  if (only) throw new EdgeoptError('--variants selects from a run directory (edgeopt run -o DIR); each model file given is one variant');
  const files: VariantFile[] = [];
  const temps: string[] = [];
  for (const input of inputs) {
    if (await isDirectory(input)) throw new EdgeoptError(`${input} is a directory: give one run directory alone, or model files`);
    await assertReadableFile(input, 'model');
    const ext = extname(input).toLowerCase();
    if (ext === '.pt' || ext === '.pth') {
      const { mkdtemp } = await import('node:fs/promises');
      const os = await import('node:os');
      const { convertFile } = await import('../convert/convert.js');
      const dir = await mkdtemp(join(os.tmpdir(), 'edgeopt-submit-'));
      temps.push(dir);
      const out = join(dir, `${basename(input, ext)}.onnx`);
      progress.step(`converting ${input} to ONNX`);
      await convertFile(input, out);
      files.push({ variant: plainName(basename(input, ext)), path: out });
    } else if (ext === '.onnx') {
      files.push({ variant: plainName(basename(input, ext)), path: input });
    } else {
      throw new EdgeoptError(`${input}: expected a .onnx or .pt model, or a run directory`);
    }
  }
  const names = files.map((f) => f.variant);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new EdgeoptError(`two model files are both named '${dup}': rename one (the file name is the variant name)`);
  const { rm } = await import('node:fs/promises');
  return { modelName: files[0]!.variant, files, cleanup: async () => void (await Promise.all(temps.map((t) => rm(t, { recursive: true, force: true })))) };
}

/** The model's analysis for the report; a file that does not even parse is sent anyway (the agents record why it fails), with a warning here. */
async function analysisOf(path: string, progress: Progress): Promise<VariantAnalysis | undefined> {
  try {
    const [{ analyzeModel }, { loadModel }] = await Promise.all([import('../analyze/analyze.js'), import('../onnx/model-io.js')]);
    const a = analyzeModel(await loadModel(path));
    return { nodes: a.nodes, parameters: a.parameters.count, parameterBytes: a.parameterBytes, macs: a.macs.total, opCounts: a.opCounts, quantization: a.quantization };
  } catch (err) {
    progress.warn(`${path} could not be analyzed (${describeError(err)}); its jobs will most likely fail on the agents`);
    return undefined;
  }
}

/** Every target must be a registered device, or a tag one carries (unless `waitForDevice`). */
async function checkTargets(store: ResultsStore, targets: Target[], waitForDevice: boolean, progress: Progress): Promise<void> {
  const devices = await store.devices();
  const names = devices.filter((d) => d.kind === 'machine').map((d) => d.name);
  const tags = [...new Set(devices.flatMap((d) => d.tags))];
  for (const t of targets) {
    const [kind, name, known] = 'device' in t ? ['device', t.device, names] as const : ['tag', t.tag, tags] as const;
    if (known.includes(name)) continue;
    const what = kind === 'device' ? `no agent has registered device '${name}'` : `no registered device carries tag '${name}'`;
    if (waitForDevice) {
      progress.warn(`${what}; its jobs wait until one does`);
      continue;
    }
    const list = known.length === 0 ? `no ${kind}s are registered yet` : `known ${kind}s: ${known.slice(0, 12).join(', ')}${known.length > 12 ? ', …' : ''}`;
    throw new EdgeoptError(`--${kind} ${name}: ${what} (${list}); start \`edgeopt agent${kind === 'device' ? ` --device ${name}` : ` --tag ${name}`}\` there first, or pass --wait-for-device`);
  }
}

export async function submitJobs(options: SubmitOptions): Promise<Submission> {
  const { store, progress } = options;
  const db = store.postgres('fleet submit');
  if (options.targets.length === 0) throw new EdgeoptError('name at least one --device or --tag to run on');
  await checkTargets(store, options.targets, !!options.waitForDevice, progress);
  const { modelName, files, cleanup } = await variantFiles(options.inputs, options.variants, progress);
  try {
    if (files.length === 0) throw new EdgeoptError('nothing to submit: no built variants');
    const variants: SubmittedVariant[] = [];
    for (const f of files) {
      const sha256 = await sha256File(f.path);
      variants.push({ variant: f.variant, sha256, name: plainName(basename(f.path, extname(f.path))), sizeBytes: (await stat(f.path)).size, description: f.description, analysis: f.analysis ?? (await analysisOf(f.path, progress)) });
    }

    const boss = await openQueue(db, { supervise: false });
    try {
      for (const target of options.targets) await ensureQueue(db, boss, queueName(target));
      const id = randomUUID();
      const reference = variants.find((v) => v.variant === 'fp32') ?? variants[0]!;
      const jobs: Array<{ target: Target; job: FleetJob }> = [];
      for (let copy = 0; copy < (options.repeat ?? 1); copy++) for (const target of options.targets) {
        for (const v of variants) {
          const model = { sha256: v.sha256, name: v.name, sizeBytes: v.sizeBytes };
          const base = { v: 1 as const, submissionId: id, variant: v.variant, model, timeoutS: options.timeoutS };
          jobs.push({ target, job: parseJob({ ...base, kind: 'bench', scenarios: options.scenarios, runs: options.runs, warmup: options.warmup, rounds: options.rounds, maxRuns: options.maxRuns, providers: options.providers }) });
          if (options.eval) {
            const ref = v === reference ? undefined : { sha256: reference.sha256, name: reference.name, sizeBytes: reference.sizeBytes };
            jobs.push({ target, job: parseJob({ ...base, kind: 'eval', reference: ref, maxImages: options.evalImages }) });
          }
        }
      }
      const settings = { scenarios: options.scenarios, runs: options.runs, warmup: options.warmup, rounds: options.rounds, maxRuns: options.maxRuns, providers: options.providers, eval: !!options.eval, evalImages: options.evalImages, timeoutS: options.timeoutS, leaseGraceS: options.leaseGraceS, retryLimit: options.retryLimit, repeat: options.repeat ?? 1 };
      progress.step(`submitting ${jobs.length} job(s): ${variants.length} variant(s) × ${options.targets.length} target(s)${options.eval ? ' × (bench, eval)' : ''}${(options.repeat ?? 1) > 1 ? ` × ${options.repeat}` : ''}`);
      await db.transaction(async (tx) => {
        for (const v of variants) {
          await store.recordModel(v.sha256, v.name, v.sizeBytes, tx);
          const have = await tx.all('SELECT 1 AS x FROM model_blobs WHERE sha256 = ?', [v.sha256]);
          if (have.length === 0) {
            progress.step(`  uploading ${v.variant} (${(v.sizeBytes / 1e6).toFixed(2)} MB, sha256 ${v.sha256.slice(0, 12)}…)`);
            await tx.run('INSERT INTO model_blobs (sha256, data) VALUES (?, ?) ON CONFLICT DO NOTHING', [v.sha256, await readFile(files.find((f) => f.variant === v.variant)!.path)]);
          }
        }
        await tx.run('INSERT INTO submissions (id, created_at, model_name, targets, variants, settings, job_count) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          id, new Date().toISOString(), modelName, JSON.stringify(options.targets.map(targetName)), JSON.stringify(variants), JSON.stringify(settings), jobs.length,
        ]);
        const inserts = [];
        // One timestamp for the whole submission: the order then rests on the index alone.
        const submittedAt = Date.now();
        for (const [index, { target, job }] of jobs.entries()) {
          const jobId = orderedJobId(index, submittedAt);
          await tx.run(
            `INSERT INTO fleet_jobs (id, submission_id, queue, target, kind, variant, model_sha256, state, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0)`,
            [jobId, id, queueName(target), targetName(target), job.kind, job.variant, job.model.sha256],
          );
          inserts.push({ id: jobId, name: queueName(target), data: job, expireInSeconds: options.timeoutS + options.leaseGraceS, retryLimit: options.retryLimit, retryDelay: 0 });
        }
        await boss.insert(inserts, { db: tx });
        // Fault drill for the tests: a real SIGKILL with everything written but not committed.
        if (process.env.EDGEOPT_FAULT === 'submit-before-commit') process.kill(process.pid, 'SIGKILL');
      });
      return { id, modelName, variants, targets: options.targets.map(targetName), jobs: jobs.length };
    } finally {
      await boss.stop({ graceful: false, close: false, wait: true }).catch(() => undefined);
    }
  } finally {
    await cleanup();
  }
}

/**
 * A UUIDv7-shaped job id: the time in ms, then the job's index in its submission, then random bits. pg-boss hands
 * out jobs by (priority, created_on, id) and every job of a submission has one created_on (one transaction), so
 * with random ids a device ran its variants in random order; these ids make it the order they were given in.
 */
export function orderedJobId(index: number, nowMs = Date.now()): string {
  const random = randomUUID().replace(/-/g, '');
  // 12 bits of index per millisecond: a 5,000-job submission borrows the next millisecond, which keeps the order.
  const hex = (nowMs + Math.floor(index / 4096)).toString(16).padStart(12, '0').slice(-12) + '7' + (index % 4096).toString(16).padStart(3, '0') + ((8 | (Number.parseInt(random[0]!, 16) & 3)).toString(16)) + random.slice(1, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
