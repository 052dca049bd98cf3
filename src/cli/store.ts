import type { Command } from 'commander';
import type { NewRun } from '../store/records.js';
import type { StoreLocation } from '../store/location.js';
import { EdgeoptError, describeError } from '../util/errors.js';
import type { Progress } from '../util/progress.js';

/**
 * `--store` / `--no-store` for every command that measures, and the one place that records what it
 * measured. The store modules (and their native SQLite driver) load only when a record is written.
 */
export interface StoreFlags {
  /** A URL or path; false with --no-store; undefined for $EDGEOPT_STORE or the per-user default. */
  store?: string | false;
}

export const STORE_FLAG_HELP = 'results store: postgres://… or an SQLite file (default $EDGEOPT_STORE, else $EDGEOPT_HOME/results.db)';

export function addStoreOptions(command: Command, what = 'the measurements'): Command {
  return command.option('--store <url>', STORE_FLAG_HELP).option('--no-store', `do not record ${what} in the results store`);
}

/** Where the store is, or a one-line error for a malformed --store. */
export async function storeLocation(flags: StoreFlags): Promise<StoreLocation> {
  const { resolveStoreLocation } = await import('../store/location.js');
  return resolveStoreLocation(typeof flags.store === 'string' ? flags.store : undefined);
}

/**
 * Records one run. When the user named the store (flag or $EDGEOPT_STORE), failing to record is
 * an error; for the implicit per-user default it is a warning: the measurement is still printed
 * and written to its files.
 */
export async function recordRun(flags: StoreFlags, build: (device: string) => Promise<NewRun> | NewRun, progress: Progress): Promise<number> {
  if (flags.store === false) return 0;
  const explicit = typeof flags.store === 'string' || !!process.env.EDGEOPT_STORE;
  const { ResultsStore } = await import('../store/store.js');
  const { localDevice } = await import('../store/device.js');
  const { maskSecrets } = await import('../store/location.js');
  let location: StoreLocation | undefined;
  try {
    location = await storeLocation(flags);
    const store = await ResultsStore.open(location);
    try {
      const device = localDevice();
      const run = await build(device.name);
      await store.db.transaction(async (tx) => {
        await store.upsertDevice(device, undefined, tx);
        const { id } = await store.recordRun(run, tx);
        progress.step(`recorded run ${id.slice(0, 8)} in ${location!.display}`);
      });
    } finally {
      await store.close();
    }
    return 0;
  } catch (err) {
    const message = maskSecrets(describeError(err), location);
    if (explicit) throw new EdgeoptError(`could not record in the results store: ${message}`);
    progress.warn(`not recorded in the results store (${message}); pass --no-store to skip it`);
    return 0;
  }
}

/**
 * Opens the fleet's PostgreSQL store. An SQLite location is refused before it is opened, so that a
 * mistyped --store never leaves a new, empty database file behind.
 */
export async function openFleetStore(url: string | undefined, what: string, options: { poolSize?: number } = {}) {
  const { resolveStoreLocation } = await import('../store/location.js');
  const { ResultsStore } = await import('../store/store.js');
  const location = resolveStoreLocation(url);
  if (location.kind !== 'postgres') {
    throw new EdgeoptError(`${what} needs a PostgreSQL store (--store postgres://… or $EDGEOPT_STORE); ${location.display} is a local SQLite file`);
  }
  return ResultsStore.open(location, options);
}
