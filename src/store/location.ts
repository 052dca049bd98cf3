import os from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { EdgeoptError } from '../util/errors.js';

/**
 * Where the results store lives: an SQLite file (the default, one per user) or a PostgreSQL
 * database shared by a team and its fleet. Credentials stay inside the URL or the environment
 * (PGPASSWORD, ~/.pgpass); `display` is what messages and logs may show.
 */
export type StoreLocation =
  | { kind: 'sqlite'; path: string; display: string }
  | { kind: 'postgres'; url: string; display: string };

export const DEFAULT_STORE_FILE = 'results.db';

/** `$EDGEOPT_HOME`, else `$XDG_DATA_HOME/edgeopt`, else `~/.local/share/edgeopt`. */
export function edgeoptHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EDGEOPT_HOME) return resolve(env.EDGEOPT_HOME);
  if (env.XDG_DATA_HOME && isAbsolute(env.XDG_DATA_HOME)) return join(env.XDG_DATA_HOME, 'edgeopt');
  return join(os.homedir(), '.local', 'share', 'edgeopt');
}

/** Replaces the password of a URL (and any password=… parameter) with `***`. */
export function maskUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*):[^/?#@]*@/i, '$1:***@')
    .replace(/([?&](?:password|sslpassword)=)[^&#]*/gi, '$1***');
}

/**
 * Masks every store URL and password this process knows of inside a message, so that an error
 * coming from a driver (which may quote its connection string) never prints a credential.
 */
export function maskSecrets(text: string, location?: StoreLocation): string {
  let out = text.replace(/postgres(?:ql)?:\/\/[^\s'"]+/gi, (url) => maskUrl(url));
  const secrets = new Set<string>();
  if (location?.kind === 'postgres') {
    const password = passwordOf(location.url);
    if (password) secrets.add(password);
  }
  if (process.env.PGPASSWORD) secrets.add(process.env.PGPASSWORD);
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***');
  return out;
}

function passwordOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.password ? decodeURIComponent(parsed.password) : (parsed.searchParams.get('password') ?? undefined);
  } catch {
    return undefined;
  }
}

/**
 * Resolves `--store` (or `$EDGEOPT_STORE`): a postgres:// URL, `sqlite:<path>`, a path to a
 * file, or nothing for the per-user default file under {@link edgeoptHome}.
 */
export function resolveStoreLocation(spec: string | undefined, env: NodeJS.ProcessEnv = process.env): StoreLocation {
  const value = spec ?? env.EDGEOPT_STORE;
  if (!value) {
    const path = join(edgeoptHome(env), DEFAULT_STORE_FILE);
    return { kind: 'sqlite', path, display: path };
  }
  if (/^postgres(ql)?:\/\//i.test(value)) {
    try {
      new URL(value);
    } catch {
      throw new EdgeoptError(`--store: not a valid PostgreSQL URL: ${maskUrl(value)}`);
    }
    return { kind: 'postgres', url: value, display: maskUrl(value) };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) && !/^sqlite:/i.test(value) && !/^file:/i.test(value)) {
    throw new EdgeoptError(`--store: unsupported store '${maskUrl(value)}' (use postgres://…, sqlite:<file> or a file path)`);
  }
  const path = resolve(value.replace(/^sqlite:(\/\/)?/i, '').replace(/^file:(\/\/)?/i, ''));
  return { kind: 'sqlite', path, display: path };
}
