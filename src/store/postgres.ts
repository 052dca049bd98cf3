import type { Pool, PoolClient } from 'pg';
import { EdgeoptError, describeError } from '../util/errors.js';
import { maskSecrets, type StoreLocation } from './location.js';
import { toNumberedPlaceholders, type Row, type SqlDatabase, type SqlRunner, type SqlValue } from './sql.js';

/** The PostgreSQL schema that holds the store's tables (pg-boss keeps its own, `pgboss`). */
export const STORE_SCHEMA = 'edgeopt';

/** Something that runs raw SQL the way pg-boss's `db` option expects. */
export interface PgExecutor {
  executeSql(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

export interface PostgresRunner extends SqlRunner, PgExecutor {}

export interface PostgresDatabase extends SqlDatabase, PgExecutor {
  readonly dialect: 'postgres';
  readonly location: Extract<StoreLocation, { kind: 'postgres' }>;
  readonly pool: Pool;
  transaction<T>(fn: (tx: PostgresRunner) => Promise<T>): Promise<T>;
  /** A dedicated connection (advisory locks live as long as their session). */
  connect(): Promise<PoolClient>;
}

/** Opens a pool on a postgres:// URL; every error message is masked before anyone sees it. */
export async function openPostgres(location: Extract<StoreLocation, { kind: 'postgres' }>, options: { max?: number } = {}): Promise<PostgresDatabase> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString: location.url,
    application_name: 'edgeopt',
    max: options.max ?? 4,
    options: `-c search_path=${STORE_SCHEMA},public`,
    connectionTimeoutMillis: 15_000,
  });
  // An idle client that loses its server emits 'error' on the pool; without a listener that would crash the process.
  pool.on('error', () => undefined);
  const mask = (err: unknown) => new EdgeoptError(`results store ${location.display}: ${maskSecrets(describeError(err), location)}`, { cause: undefined });
  try {
    // Two processes creating the schema at once: the loser sees a unique violation, and the schema exists.
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${STORE_SCHEMA}`).catch((err: { code?: string }) => {
      if (err?.code !== '23505') throw err;
    });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw mask(err);
  }
  const runner = (query: (text: string, values?: unknown[]) => Promise<{ rows: any[]; rowCount: number | null }>): PostgresRunner => ({
    dialect: 'postgres',
    async all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []) {
      try {
        return (await query(toNumberedPlaceholders(sql), [...params])).rows as T[];
      } catch (err) {
        throw mask(err);
      }
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      try {
        return (await query(toNumberedPlaceholders(sql), [...params])).rowCount ?? 0;
      } catch (err) {
        throw mask(err);
      }
    },
    async executeSql(text: string, values?: unknown[]) {
      try {
        return await query(text, values);
      } catch (err) {
        throw mask(err);
      }
    },
  });
  const base = runner((text, values) => pool.query(text, values));
  return {
    ...base,
    dialect: 'postgres',
    location,
    pool,
    async transaction<T>(fn: (tx: PostgresRunner) => Promise<T>): Promise<T> {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw mask(err);
      }
      try {
        await client.query('BEGIN');
        const value = await fn(runner((text, values) => client.query(text, values)));
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        // Driver errors may quote connection details: masked. Anything else is ours and passes unchanged.
        throw err instanceof pg.DatabaseError ? mask(err) : err;
      } finally {
        client.release();
      }
    },
    async connect() {
      try {
        const client = await pool.connect();
        // Pooled clients come back: listen once per client, not once per checkout.
        if (client.listenerCount('error') === 0) client.on('error', () => undefined);
        return client;
      } catch (err) {
        throw mask(err);
      }
    },
    async close() {
      await pool.end();
    },
  };
}
