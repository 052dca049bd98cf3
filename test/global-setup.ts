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

let cluster: TestCluster | undefined;
let home: string | undefined;

/**
 * One PostgreSQL cluster per test run, shared by the store and fleet tests (each makes its own
 * database in it). It is started only when the run includes those tests: `vitest run test/eval`
 * should not need a database server.
 */
export function setup(project: TestProject): void {
  // Set before the test workers start, so they and every CLI they spawn inherit it.
  home = mkdtempSync(join(os.tmpdir(), 'edgeopt-test-home-'));
  process.env.EDGEOPT_HOME = home;
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-') && a !== 'run' && a !== 'watch' && !a.includes('='));
  const wanted = filters.length === 0 || filters.some((f) => /store|fleet|demo|test\/?$/.test(f));
  if (!wanted || (!postgresBinDir() && !process.env.CI)) {
    project.provide('postgresUrl', '');
    return;
  }
  cluster = startTestCluster();
  project.provide('postgresUrl', cluster.url);
}

export function teardown(): void {
  try {
    cluster?.stop();
  } finally {
    if (home) rmSync(home, { recursive: true, force: true });
  }
}
