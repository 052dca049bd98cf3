/**
 * The little SQL both store engines share. Statements are written once, with `?` placeholders and
 * portable types; each engine adapter (sqlite.ts, postgres.ts) runs them its own way.
 */
export type SqlValue = string | number | null | Uint8Array;
export type Row = Record<string, unknown>;

export type Dialect = 'sqlite' | 'postgres';

export interface SqlRunner {
  readonly dialect: Dialect;
  all<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement and says how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDatabase extends SqlRunner {
  /** Runs `fn` in one transaction: all of its statements land, or none do. */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` placeholders → PostgreSQL's `$1, $2, …` (the store's statements never put `?` inside a literal). */
export function toNumberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Column types that differ between the engines, written as `{real}`, `{blob}`, `{bigint}` in migrations. */
const TYPES: Record<Dialect, Record<string, string>> = {
  sqlite: { real: 'REAL', blob: 'BLOB', bigint: 'INTEGER' },
  postgres: { real: 'DOUBLE PRECISION', blob: 'BYTEA', bigint: 'BIGINT' },
};

export function dialectSql(sql: string, dialect: Dialect): string {
  return sql.replace(/\{(real|blob|bigint)\}/g, (_, type: string) => TYPES[dialect][type]!);
}

export async function one<T extends Row>(db: SqlRunner, sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
  return (await db.all<T>(sql, params))[0];
}
