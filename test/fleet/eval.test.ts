import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunResults } from '../../src/results/schema.js';
import { resolveStoreLocation } from '../../src/store/location.js';
import { ResultsStore } from '../../src/store/store.js';
import { tempDir } from '../bench/tiny-model.js';
import { asset, hasAssets } from '../helpers/assets.js';
import { runCli } from '../helpers/cli.js';
import { createDatabase } from '../helpers/postgres.js';
import { spawnCli } from './support.js';

/**
 * Accuracy through the fleet (`fleet submit --eval`): a real detector evaluated by an agent on its
 * own copy of the dataset gives exactly the figures a local `edgeopt eval` of the same file gives.
 */
const dir = tempDir('edgeopt-fleet-eval-');
let url: string;
let store: ResultsStore;

beforeAll(async () => {
  if (!hasAssets) return;
  url = await createDatabase(inject('postgresUrl'), 'fleet_eval');
  store = await ResultsStore.open(resolveStoreLocation(url));
});

afterAll(async () => {
  await store?.close();
  dir.remove();
});

describe.skipIf(!hasAssets)('fleet accuracy jobs', () => {
  it('an agent evaluates a submitted YOLO model with the same mAP as a local edgeopt eval', async () => {
    const model = asset('models', 'yolov5nu_fp32.onnx');
    const data = asset('coco_val128');
    const submit = await runCli(['fleet', 'submit', '--store', url, '--device', 'dev-e', '--wait-for-device', '--eval', '--eval-images', '4', '--runs', '3', '--rounds', '1', '--warmup', '1', '--max-runs', '3', model]);
    expect(submit.status, submit.stderr).toBe(0);
    const agent = spawnCli(['agent', '--store', url, '--device', 'dev-e', '--eval-data', data, '--poll-s', '0.2', '--max-jobs', '2'], { EDGEOPT_HOME: join(dir.path, 'home') });
    const local = await runCli(['eval', model, '--data', data, '--eval-images', '4', '--json', '--no-store', '-q'], { timeoutMs: 300_000 });
    expect(local.status, local.stderr).toBe(0);
    expect((await agent.exited).code, agent.output()).toBe(0);
    const expected = JSON.parse(local.stdout) as { images: number; map50: number; map50_95: number };

    const jobs = await store.db.all<{ kind: string; state: string; error: string | null }>('SELECT kind, state, error FROM fleet_jobs ORDER BY kind');
    expect(jobs, JSON.stringify(jobs)).toEqual([{ kind: 'bench', state: 'done', error: null }, { kind: 'eval', state: 'done', error: null }]);
    const report = await runCli(['fleet', 'report', '--store', url, '-o', join(dir.path, 'report'), '--json']);
    expect(report.status, report.stderr).toBe(0);
    const results = JSON.parse(report.stdout) as RunResults;
    const accuracy = results.devices![0]!.accuracy![0]!;
    expect(accuracy).toMatchObject({ variant: 'yolov5nu_fp32', images: 4 });
    expect(accuracy.images).toBe(expected.images);
    expect(accuracy.map50).toBeCloseTo(expected.map50, 9);
    expect(accuracy.map50_95).toBeCloseTo(expected.map50_95, 9);
    expect(accuracy.map50_95).toBeGreaterThan(0.2);
  }, 400_000);
});
