import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { EdgeoptError, describeError } from '../util/errors.js';
import type { Row, SqlDatabase, SqlRunner, SqlValue } from './sql.js';

/**
 * The SQLite engine (better-sqlite3): one file, WAL journal so that readers never block the one
 * writer, and a busy timeout so that two edgeopt processes writing at once wait for each other
 * instead of failing. better-sqlite3 is synchronous; a promise chain keeps this process's
 * statements out of each other's transactions.
 */
export async function openSqlite(path: string): Promise<SqlDatabase> {
  // Loaded here, not at the top: commands that never touch the store do not pay for the native module.
  const { default: Database } = await import('better-sqlite3');
  let db: BetterSqlite3.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: 15_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
  } catch (err) {
    throw new EdgeoptError(`cannot open the results store ${path}: ${describeError(err)}`);
  }
  return new SqliteDatabase(db);
}

const bind = (params: readonly SqlValue[]) => params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));

class SqliteRunner implements SqlRunner {
  readonly dialect = 'sqlite' as const;
  constructor(protected readonly db: BetterSqlite3.Database) {}

  async all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.db.prepare(sql).all(...bind(params)) as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    const statement = this.db.prepare(sql);
    if (!statement.reader) return statement.run(...bind(params)).changes;
    statement.all(...bind(params));
    return 0;
  }
}

class SqliteDatabase extends SqliteRunner implements SqlDatabase {
  private chain: Promise<unknown> = Promise.resolve();

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.catch(() => undefined).then(fn);
    this.chain = next;
    return next;
  }

  override all<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.serialized(() => super.all<T>(sql, params));
  }

  override run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.serialized(() => super.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.serialized(async () => {
      // IMMEDIATE takes the write lock up front, so two processes never deadlock upgrading a read.
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(new SqliteRunner(this.db));
        this.db.exec('COMMIT');
        return value;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.chain.catch(() => undefined);
    this.db.close();
  }
}
