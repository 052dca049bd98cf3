import { randomUUID } from 'node:crypto';
import { EdgeoptError } from '../util/errors.js';
import type { StoreLocation } from './location.js';
import { migrate } from './migrations.js';
import type { PostgresDatabase } from './postgres.js';
import type { AccuracyRecord, DeviceRecord, LatencyRecord, NewRun, RunKind, RunRecord } from './records.js';
import type { Row, SqlDatabase, SqlRunner, SqlValue } from './sql.js';

export interface RunFilter {
  /** A model name, or a prefix (≥ 6 hex digits) of a model file's sha256. */
  model?: string;
  device?: string;
  kind?: RunKind;
  submissionId?: string;
  /** Most recent first; default 50. */
  limit?: number;
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const parse = <T>(text: unknown, fallback: T): T => {
  if (typeof text !== 'string') return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};
const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));

/**
 * The results store: every measurement edgeopt makes, with the device and provenance it was made
 * on, in SQLite or PostgreSQL behind one API. Opening it applies any pending migrations.
 */
export class ResultsStore {
  private constructor(
    readonly db: SqlDatabase,
    readonly location: StoreLocation,
  ) {}

  static async open(location: StoreLocation, options: { poolSize?: number } = {}): Promise<ResultsStore> {
    let db: SqlDatabase;
    if (location.kind === 'sqlite') {
      const { openSqlite } = await import('./sqlite.js');
      db = await openSqlite(location.path);
    } else {
      const { openPostgres } = await import('./postgres.js');
      db = await openPostgres(location, { max: options.poolSize });
    }
    try {
      await migrate(db);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    return new ResultsStore(db, location);
  }

  /** The PostgreSQL side, for the fleet (queue, advisory locks); a clear error on SQLite. */
  postgres(what = 'the fleet'): PostgresDatabase {
    if (this.db.dialect !== 'postgres') {
      throw new EdgeoptError(`${what} needs a PostgreSQL store (--store postgres://…); ${this.location.display} is a local SQLite file`);
    }
    return this.db as PostgresDatabase;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async upsertDevice(device: Omit<DeviceRecord, 'firstSeen' | 'lastSeen'>, seenAt = new Date().toISOString(), db: SqlRunner = this.db): Promise<void> {
    await db.run(
      `INSERT INTO devices (name, kind, host_id, tags, provenance, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, host_id = excluded.host_id, tags = excluded.tags,
         provenance = excluded.provenance, last_seen = excluded.last_seen`,
      [device.name, device.kind, device.hostId ?? null, json(device.tags), json(device.provenance), seenAt, seenAt],
    );
  }

  async touchDevice(name: string, seenAt = new Date().toISOString()): Promise<void> {
    await this.db.run('UPDATE devices SET last_seen = ? WHERE name = ?', [seenAt, name]);
  }

  async devices(): Promise<DeviceRecord[]> {
    const rows = await this.db.all('SELECT * FROM devices ORDER BY name');
    return rows.map(toDevice);
  }

  async recordModel(sha256: string, name: string, sizeBytes: number, db: SqlRunner = this.db): Promise<void> {
    await db.run('INSERT INTO models (sha256, name, size_bytes, first_seen) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING', [
      sha256,
      name,
      sizeBytes,
      new Date().toISOString(),
    ]);
  }

  /**
   * Records one run with its latencies and accuracies, all or nothing. A run that carries a job id
   * is recorded at most once: a second record for the same job (a retried job whose first agent
   * did finish) is ignored, and `recorded` says which happened.
   */
  async recordRun(run: NewRun, db?: SqlRunner): Promise<{ id: string; recorded: boolean }> {
    const id = run.id ?? randomUUID();
    const write = async (tx: SqlRunner) => {
      const inserted = await tx.run(
        `INSERT INTO runs (id, kind, created_at, device, tool_version, model_name, status, settings, provenance, errors, submission_id, job_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        [
          id, run.kind, run.createdAt ?? new Date().toISOString(), run.device, run.toolVersion, run.modelName, run.status,
          json(run.settings), json(run.provenance), json(run.errors), run.submissionId ?? null, run.jobId ?? null,
        ],
      );
      if (inserted === 0) return { id, recorded: false };
      for (const l of run.latencies) await insertLatency(tx, id, l);
      for (const a of run.accuracies) await insertAccuracy(tx, id, a);
      return { id, recorded: true };
    };
    return db ? write(db) : this.db.transaction(write);
  }

  async runs(filter: RunFilter = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    if (filter.model) {
      const byHash = /^[0-9a-f]{6,64}$/i.test(filter.model);
      where.push(
        byHash
          ? '(r.model_name = ? OR r.id IN (SELECT run_id FROM latencies WHERE model_sha256 LIKE ?) OR r.id IN (SELECT run_id FROM accuracies WHERE model_sha256 LIKE ?))'
          : 'r.model_name = ?',
      );
      params.push(filter.model, ...(byHash ? [`${filter.model.toLowerCase()}%`, `${filter.model.toLowerCase()}%`] : []));
    }
    if (filter.device) {
      where.push('r.device = ?');
      params.push(filter.device);
    }
    if (filter.kind) {
      where.push('r.kind = ?');
      params.push(filter.kind);
    }
    if (filter.submissionId) {
      where.push('r.submission_id = ?');
      params.push(filter.submissionId);
    }
    const limit = Math.max(1, Math.min(filter.limit ?? 50, 100_000));
    const rows = await this.db.all(
      `SELECT r.* FROM runs r ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.created_at DESC, r.id LIMIT ${limit}`,
      params,
    );
    return this.withMeasurements(rows);
  }

  async run(id: string): Promise<RunRecord | undefined> {
    const rows = await this.db.all('SELECT * FROM runs WHERE id = ? OR id LIKE ? ORDER BY created_at DESC LIMIT 2', [id, `${id}%`]);
    if (rows.length > 1 && rows[0]!.id !== id) throw new EdgeoptError(`run id prefix '${id}' is ambiguous; give more characters`);
    return (await this.withMeasurements(rows))[0];
  }

  private async withMeasurements(rows: Row[]): Promise<RunRecord[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => String(r.id));
    const marks = ids.map(() => '?').join(', ');
    const latencies = await this.db.all(`SELECT * FROM latencies WHERE run_id IN (${marks}) ORDER BY variant, scenario, threads`, ids);
    const accuracies = await this.db.all(`SELECT * FROM accuracies WHERE run_id IN (${marks}) ORDER BY variant`, ids);
    return rows.map((r) => ({
      id: String(r.id),
      kind: r.kind as RunKind,
      createdAt: String(r.created_at),
      device: String(r.device),
      toolVersion: String(r.tool_version),
      modelName: String(r.model_name),
      status: r.status as RunRecord['status'],
      settings: parse(r.settings, {}),
      provenance: parse(r.provenance, {}),
      errors: parse(r.errors, []),
      submissionId: (r.submission_id as string | null) ?? undefined,
      jobId: (r.job_id as string | null) ?? undefined,
      latencies: latencies.filter((l) => l.run_id === r.id).map(toLatency),
      accuracies: accuracies.filter((a) => a.run_id === r.id).map(toAccuracy),
    }));
  }
}

async function insertLatency(tx: SqlRunner, runId: string, l: LatencyRecord): Promise<void> {
  await tx.run(
    `INSERT INTO latencies (run_id, variant, model_sha256, scenario, threads, provider, runs, p50_ms, ci_low_ms, ci_high_ms, stats)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [runId, l.variant, l.modelSha256 ?? null, l.scenario, l.threads, l.provider, l.runs, l.p50Ms, l.medianCi95?.[0] ?? null, l.medianCi95?.[1] ?? null, json(l.stats)],
  );
}

async function insertAccuracy(tx: SqlRunner, runId: string, a: AccuracyRecord): Promise<void> {
  await tx.run(
    `INSERT INTO accuracies (run_id, variant, model_sha256, dataset, images, map50, map50_95, precision, recall, fidelity)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [runId, a.variant, a.modelSha256 ?? null, a.dataset, a.images, a.map50, a.map50_95, a.precision, a.recall, a.fidelity ? json(a.fidelity) : null],
  );
}

function toDevice(r: Row): DeviceRecord {
  return {
    name: String(r.name),
    kind: r.kind as DeviceRecord['kind'],
    hostId: (r.host_id as string | null) ?? undefined,
    tags: parse(r.tags, []),
    provenance: parse(r.provenance, { userAgent: 'unknown' }),
    firstSeen: String(r.first_seen),
    lastSeen: String(r.last_seen),
  };
}

function toLatency(r: Row): LatencyRecord {
  const lo = num(r.ci_low_ms);
  const hi = num(r.ci_high_ms);
  return {
    variant: String(r.variant),
    modelSha256: (r.model_sha256 as string | null) ?? undefined,
    scenario: String(r.scenario),
    threads: Number(r.threads),
    provider: String(r.provider),
    runs: Number(r.runs),
    p50Ms: Number(r.p50_ms),
    medianCi95: lo !== undefined && hi !== undefined ? [lo, hi] : undefined,
    stats: parse(r.stats, { runs: Number(r.runs), p50Ms: Number(r.p50_ms), meanMs: Number(r.p50_ms), p95Ms: Number(r.p50_ms) }),
  };
}

function toAccuracy(r: Row): AccuracyRecord {
  const fidelity = parse<AccuracyRecord['fidelity'] | null>(r.fidelity, null);
  return {
    variant: String(r.variant),
    modelSha256: (r.model_sha256 as string | null) ?? undefined,
    dataset: String(r.dataset),
    images: Number(r.images),
    map50: Number(r.map50),
    map50_95: Number(r.map50_95),
    precision: Number(r.precision),
    recall: Number(r.recall),
    ...(fidelity ? { fidelity } : {}),
  };
}
