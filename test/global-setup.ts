import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { postgresBinDir, startTestCluster, type TestCluster } from './helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run's throwaway PostgreSQL cluster; '' when it is not started (see below). */
    postgresUrl: string;
  }
}

/**
 * What one test run shares. Vitest calls this global setup once for the root and once for each
 * project (fast, slow), each time from a fresh module instance but in the same main process: the
 * shared state lives on globalThis, counted, so the run starts one cluster and one home, and the
 * last teardown removes them.
 */
interface Shared {
  refs: number;
  home: string;
  url: string;
  cluster?: TestCluster;
}
const KEY = Symbol.for('edgeopt.test.globalSetup');
const slot = globalThis as { [KEY]?: Shared };

/**
 * One PostgreSQL cluster per test run, shared by the store and fleet tests (each makes its own
 * database in it). It is started only when the run includes those tests: `vitest run test/eval`
 * should not need a database server.
 */
export function setup(project: TestProject): void {
  let shared = slot[KEY];
  if (!shared) {
    // Set before the test workers start, so they and every CLI they spawn inherit it.
    const home = mkdtempSync(join(os.tmpdir(), 'edgeopt-test-home-'));
    process.env.EDGEOPT_HOME = home;
    const filters = process.argv.slice(2).filter((a) => !a.startsWith('-') && a !== 'run' && a !== 'watch' && !a.includes('='));
    const wanted = filters.length === 0 || filters.some((f) => /store|fleet|demo|test\/?$/.test(f));
    shared = { refs: 0, home, url: '' };
    slot[KEY] = shared;
    if (wanted && (postgresBinDir() || process.env.CI)) {
      shared.cluster = startTestCluster();
      shared.url = shared.cluster.url;
    }
  }
  shared.refs++;
  project.provide('postgresUrl', shared.url);
}

export function teardown(): void {
  const shared = slot[KEY];
  if (!shared || --shared.refs > 0) return;
  slot[KEY] = undefined;
  try {
    shared.cluster?.stop();
  } finally {
    rmSync(shared.home, { recursive: true, force: true });
  }
}
