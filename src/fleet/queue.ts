import type PgBoss from 'pg-boss';
import type { PostgresDatabase } from '../store/postgres.js';
import { maskSecrets } from '../store/location.js';
import { describeError } from '../util/errors.js';

/**
 * The fleet's job queue: pg-boss on the store's own PostgreSQL pool. pg-boss keeps jobs as rows in
 * its schema (`pgboss`) and changes their state in transactions; a fetched job is leased until its
 * `expireInSeconds` runs out, after which pg-boss's maintenance puts it back for another try. Its
 * `db` option lets a job be enqueued, or completed, inside one of the store's transactions.
 */
export interface QueueOptions {
  /** Run pg-boss maintenance (lease expiry, archiving) from this process (agents do; submitters need not). */
  supervise?: boolean;
  /** How often maintenance looks for expired leases (pg-boss's minimum is 1 s). */
  maintenanceIntervalSeconds?: number;
  onError?: (message: string) => void;
}

export async function openQueue(db: PostgresDatabase, options: QueueOptions = {}): Promise<PgBoss> {
  // Loaded here: nothing else in the CLI pays for pg-boss.
  const { default: PgBossClass } = await import('pg-boss');
  const boss = new PgBossClass({
    db: { executeSql: (text: string, values: unknown[]) => db.executeSql(text, values) },
    supervise: options.supervise ?? false,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 15,
    schedule: false,
    migrate: true,
  });
  // pg-boss reports background failures as events; unheard, they would crash the process.
  boss.on('error', (err) => options.onError?.(maskSecrets(describeError(err), db.location)));
  await serialized(db, () => boss.start());
  return boss;
}

/** An advisory-lock key for the fleet's set-up steps (installing pg-boss, creating queues). */
const SETUP_LOCK_KEY = 0x6564_7175;

/**
 * Runs `fn` while holding a session advisory lock: eight agents starting at once would otherwise
 * create pg-boss's schema and the same queue partitions concurrently, and PostgreSQL answers such
 * DDL races with a deadlock error.
 */
async function serialized<T>(db: PostgresDatabase, fn: () => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [SETUP_LOCK_KEY]);
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SETUP_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** Creates the queue if it does not exist (pg-boss 10 needs a queue before jobs go into it). */
export async function ensureQueue(db: PostgresDatabase, boss: PgBoss, name: string): Promise<void> {
  await serialized(db, async () => {
    if (await boss.getQueue(name)) return;
    await boss.createQueue(name);
  });
}
