import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ResultsStore } from '../../src/store/store.js';
import { resolveStoreLocation, type StoreLocation } from '../../src/store/location.js';
import { STORE_SCHEMA_VERSION } from '../../src/store/migrations.js';
import type { NewRun } from '../../src/store/records.js';
import { createDatabase } from '../helpers/postgres.js';

const pgUrl = inject('postgresUrl');
const tmp = mkdtempSync(join(os.tmpdir(), 'edgeopt-store-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function sampleRun(overrides: Partial<NewRun> = {}): NewRun {
  const stats = { runs: 30, p50Ms: 10, medianCi95: [9.5, 10.5] as [number, number] };
  return {
    kind: 'bench',
    device: 'dev-a',
    toolVersion: '0.1.0',
    modelName: 'tiny',
    status: 'complete',
    settings: { runs: 30 },
    provenance: { cpuModel: 'test cpu' },
    errors: [],
    latencies: [{ variant: 'fp32', modelSha256: 'ab'.repeat(32), scenario: 'controlled', threads: 1, provider: 'cpu', runs: 30, p50Ms: 10, medianCi95: [9.5, 10.5], stats: stats as never }],
    accuracies: [{ variant: 'fp32', modelSha256: 'ab'.repeat(32), dataset: 'coco_val128', images: 8, map50: 0.5, map50_95: 0.3, precision: 0.6, recall: 0.4 }],
    ...overrides,
  };
}

const engines: Array<[string, () => Promise<StoreLocation>]> = [
  ['SQLite', async () => resolveStoreLocation(join(tmp, `s-${Math.random().toString(36).slice(2)}.db`))],
  ['PostgreSQL', async () => resolveStoreLocation(await createDatabase(pgUrl, `store_${Math.random().toString(36).slice(2, 10)}`))],
];

describe.each(engines)('results store on %s', (engine, makeLocation) => {
  let location: StoreLocation;
  let store: ResultsStore;
  beforeAll(async () => {
    if (engine === 'PostgreSQL' && !pgUrl) throw new Error('no test PostgreSQL cluster (is postgresql installed?)');
    location = await makeLocation();
    store = await ResultsStore.open(location);
    await store.upsertDevice({ name: 'dev-a', kind: 'machine', hostId: 'h1', tags: ['x86'], provenance: { cpuModel: 'test cpu' } as never });
    await store.upsertDevice({ name: 'dev-b', kind: 'browser', tags: [], provenance: { userAgent: 'UA' } });
  });
  afterAll(async () => store?.close());

  it('migrates on open to the current schema version, once', async () => {
    const versions = await store.db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => Number(v.version))).toEqual([STORE_SCHEMA_VERSION]);
    const again = await ResultsStore.open(location);
    expect((await again.db.all('SELECT version FROM schema_migrations')).length).toBe(1);
    await again.close();
  });

  it('round-trips a run with its latencies and accuracies, and filters by model, sha prefix and device', async () => {
    const { id, recorded } = await store.recordRun(sampleRun());
    expect(recorded).toBe(true);
    await store.recordRun(sampleRun({ device: 'dev-b', modelName: 'other', latencies: [], accuracies: [] }));
    const [run] = await store.runs({ model: 'tiny' });
    expect(run!.id).toBe(id);
    expect(run!.latencies).toEqual([expect.objectContaining({ variant: 'fp32', p50Ms: 10, medianCi95: [9.5, 10.5], threads: 1, provider: 'cpu' })]);
    expect(run!.accuracies[0]).toMatchObject({ dataset: 'coco_val128', map50_95: 0.3 });
    expect(run!.settings).toEqual({ runs: 30 });
    expect((await store.runs({ model: 'ababab' })).map((r) => r.id)).toEqual([id]);
    expect((await store.runs({ device: 'dev-b' })).map((r) => r.modelName)).toEqual(['other']);
    expect((await store.run(id.slice(0, 8)))!.id).toBe(id);
    expect((await store.devices()).map((d) => d.name)).toEqual(['dev-a', 'dev-b']);
  });

  it('records a job result exactly once, however often it is reported', async () => {
    const first = await store.recordRun(sampleRun({ kind: 'fleet', jobId: 'job-1' }));
    const second = await store.recordRun(sampleRun({ kind: 'fleet', jobId: 'job-1' }));
    expect([first.recorded, second.recorded]).toEqual([true, false]);
    const rows = await store.db.all('SELECT id FROM runs WHERE job_id = ?', ['job-1']);
    expect(rows).toHaveLength(1);
  });

  it('writes all of a transaction or nothing', async () => {
    const before = (await store.runs({ limit: 1000 })).length;
    await expect(
      store.db.transaction(async (tx) => {
        await store.recordRun(sampleRun({ modelName: 'half' }), tx);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await store.runs({ limit: 1000 })).length).toBe(before);
    expect(await store.runs({ model: 'half' })).toEqual([]);
  });

  it('refuses a store written by a newer edgeopt, with one clear sentence', async () => {
    const other = await ResultsStore.open(await makeLocation());
    await other.db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'now')");
    const where = other.location;
    await other.close();
    await expect(ResultsStore.open(where)).rejects.toThrow(/schema version 99; this edgeopt understands up to 1/);
  });
});

describe('PostgreSQL credentials', () => {
  it('never appear in an error message', async () => {
    const wrong = pgUrl.replace(/:(pw-[0-9a-f]+)@/, ':not-the-password-42@');
    const err = await ResultsStore.open(resolveStoreLocation(wrong)).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/password authentication failed/);
    expect(err?.message).not.toContain('not-the-password-42');
    const real = pgUrl.match(/:(pw-[0-9a-f]+)@/)![1]!;
    expect(resolveStoreLocation(pgUrl).display).not.toContain(real);
    expect(resolveStoreLocation(pgUrl).display).toContain(':***@');
  });
});
