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
  await boss.start();
  return boss;
}

/** Creates the queue if it does not exist (pg-boss 10 needs a queue before jobs go into it). */
export async function ensureQueue(boss: PgBoss, name: string): Promise<void> {
  try {
    await boss.createQueue(name);
  } catch (err) {
    // Two submitters creating the same queue at once: the loser's partition already exists.
    if (!/already exists/.test(describeError(err))) throw err;
  }
}
