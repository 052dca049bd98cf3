import { EdgeoptError } from '../util/errors.js';
import { dialectSql, type SqlDatabase, type SqlRunner } from './sql.js';

/**
 * The store's schema, as numbered migrations applied in order when a store is opened. The same
 * statements build SQLite and PostgreSQL (only `{real}`, `{blob}`, `{bigint}` differ). Never edit
 * a migration that has shipped: add the next one. Timestamps are ISO-8601 UTC text on both engines,
 * JSON is text: what goes in is exactly what comes out, and both sort and compare the same way.
 */
export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'devices, runs, latencies, accuracies, models; fleet submissions, jobs and agents',
    statements: [
      `CREATE TABLE devices (
        name TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        host_id TEXT,
        tags TEXT NOT NULL,
        provenance TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
      )`,
      `CREATE TABLE models (
        sha256 TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        size_bytes {bigint} NOT NULL,
        first_seen TEXT NOT NULL
      )`,
      `CREATE TABLE model_blobs (
        sha256 TEXT PRIMARY KEY REFERENCES models(sha256),
        data {blob} NOT NULL
      )`,
      `CREATE TABLE submissions (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        model_name TEXT NOT NULL,
        targets TEXT NOT NULL,
        variants TEXT NOT NULL,
        settings TEXT NOT NULL,
        job_count INTEGER NOT NULL
      )`,
      `CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        created_at TEXT NOT NULL,
        device TEXT NOT NULL REFERENCES devices(name),
        tool_version TEXT NOT NULL,
        model_name TEXT NOT NULL,
        status TEXT NOT NULL,
        settings TEXT NOT NULL,
        provenance TEXT NOT NULL,
        errors TEXT NOT NULL,
        submission_id TEXT REFERENCES submissions(id),
        job_id TEXT UNIQUE
      )`,
      'CREATE INDEX runs_by_model ON runs (model_name, created_at)',
      'CREATE INDEX runs_by_device ON runs (device, created_at)',
      'CREATE INDEX runs_by_submission ON runs (submission_id)',
      `CREATE TABLE latencies (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        variant TEXT NOT NULL,
        model_sha256 TEXT,
        scenario TEXT NOT NULL,
        threads INTEGER NOT NULL,
        provider TEXT NOT NULL,
        runs INTEGER NOT NULL,
        p50_ms {real} NOT NULL,
        ci_low_ms {real},
        ci_high_ms {real},
        stats TEXT NOT NULL,
        PRIMARY KEY (run_id, variant, scenario, threads, provider)
      )`,
      `CREATE TABLE accuracies (
        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        variant TEXT NOT NULL,
        model_sha256 TEXT,
        dataset TEXT NOT NULL,
        images INTEGER NOT NULL,
        map50 {real} NOT NULL,
        map50_95 {real} NOT NULL,
        precision {real} NOT NULL,
        recall {real} NOT NULL,
        fidelity TEXT,
        PRIMARY KEY (run_id, variant)
      )`,
      `CREATE TABLE fleet_jobs (
        id TEXT PRIMARY KEY,
        submission_id TEXT NOT NULL REFERENCES submissions(id),
        queue TEXT NOT NULL,
        target TEXT NOT NULL,
        kind TEXT NOT NULL,
        variant TEXT NOT NULL,
        model_sha256 TEXT NOT NULL REFERENCES models(sha256),
        state TEXT NOT NULL,
        device TEXT,
        agent_id TEXT,
        attempts INTEGER NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        error TEXT
      )`,
      'CREATE INDEX fleet_jobs_by_submission ON fleet_jobs (submission_id)',
      `CREATE TABLE agents (
        id TEXT PRIMARY KEY,
        device TEXT NOT NULL REFERENCES devices(name),
        host_id TEXT NOT NULL,
        pid INTEGER NOT NULL,
        tags TEXT NOT NULL,
        started_at TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        state TEXT NOT NULL,
        current_job TEXT
      )`,
    ],
  },
];

export const STORE_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** A fixed advisory-lock key: two processes opening a new PostgreSQL store migrate one after the other. */
const MIGRATION_LOCK_KEY = 0x6564_6765;

async function currentVersion(tx: SqlRunner): Promise<number> {
  const rows = await tx.all<{ v: number | string | null }>('SELECT MAX(version) AS v FROM schema_migrations');
  return Number(rows[0]?.v ?? 0);
}

/**
 * Brings a store up to {@link STORE_SCHEMA_VERSION} in one transaction (so a crash mid-way leaves
 * the previous version intact) and refuses a store written by a newer edgeopt.
 */
export async function migrate(db: SqlDatabase, now: () => string = () => new Date().toISOString()): Promise<{ from: number; to: number }> {
  return db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const from = await currentVersion(tx);
    if (from > STORE_SCHEMA_VERSION) {
      throw new EdgeoptError(`the results store has schema version ${from}; this edgeopt understands up to ${STORE_SCHEMA_VERSION} (upgrade edgeopt)`);
    }
    for (const migration of MIGRATIONS.filter((m) => m.version > from)) {
      for (const statement of migration.statements) await tx.run(dialectSql(statement, tx.dialect));
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [migration.version, migration.name, now()]);
    }
    return { from, to: STORE_SCHEMA_VERSION };
  });
}
