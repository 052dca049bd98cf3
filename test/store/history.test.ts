import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareLatency, compareRuns, latestChanges, formatHistory } from '../../src/store/history.js';
import { edgeoptHome, maskSecrets, maskUrl, resolveStoreLocation } from '../../src/store/location.js';
import type { RunRecord } from '../../src/store/records.js';

function run(id: string, createdAt: string, p50Ms: number, ci: [number, number] | undefined, sha = 'a'.repeat(64)): RunRecord {
  return {
    id, kind: 'bench', createdAt, device: 'zen5', toolVersion: '0.1.0', modelName: 'yolo', status: 'complete', settings: {}, provenance: {}, errors: [],
    latencies: [{ variant: 'fp32', modelSha256: sha, scenario: 'controlled', threads: 1, provider: 'cpu', runs: 100, p50Ms, medianCi95: ci, stats: { runs: 100, p50Ms } as never }],
    accuracies: [],
  };
}

describe('history comparisons', () => {
  it('calls a change beyond noise only when the 95% CIs of the medians do not overlap', () => {
    const p = (p50Ms: number, lo: number, hi: number) => ({ runId: 'r', createdAt: '', p50Ms, medianCi95: [lo, hi] as [number, number] });
    expect(compareLatency(p(10, 9.8, 10.2), p(11, 10.8, 11.2)).verdict).toBe('slower');
    expect(compareLatency(p(10, 9.8, 10.2), p(9, 8.8, 9.2)).verdict).toBe('faster');
    expect(compareLatency(p(10, 9.5, 10.5), p(10.3, 10.1, 10.6)).verdict).toBe('within noise');
    expect(compareLatency(p(10, 9.5, 10.5), { runId: 'b', createdAt: '', p50Ms: 20 }).verdict).toBe('no CI');
  });

  it('compares the latest measurement of each series with the one before it, and says when the file changed', () => {
    const runs = [run('c', '2026-01-03', 12, [11.8, 12.2], 'b'.repeat(64)), run('b', '2026-01-02', 10, [9.9, 10.1]), run('a', '2026-01-01', 30, [29, 31])];
    const [change] = latestChanges(runs);
    expect(change).toMatchObject({ verdict: 'slower', before: { runId: 'b' }, after: { runId: 'c' }, modelChanged: true });
    expect(change!.ratio).toBeCloseTo(1.2, 6);
    expect(change!.text).toBe('yolo fp32 on zen5 (controlled, 1 thr): 1.20x slower, beyond noise: 10.0 [9.90, 10.1] → 12.0 [11.8, 12.2] ms; the model file changed');
    expect(compareRuns(runs[2]!, runs[1]!)[0]!.text).toMatch(/3\.00x faster, beyond noise/);
    const table = formatHistory(runs);
    expect(table.split('\n')[0]).toMatch(/^when \(UTC\)\s+kind\s+device\s+model\s+variant/);
    expect(table).toContain('[11.8, 12.2]');
  });
});

describe('store locations', () => {
  it('defaults to results.db under $EDGEOPT_HOME, then XDG_DATA_HOME, then ~/.local/share/edgeopt', () => {
    expect(resolveStoreLocation(undefined, { EDGEOPT_HOME: '/data/eo' })).toEqual({ kind: 'sqlite', path: '/data/eo/results.db', display: '/data/eo/results.db' });
    expect(edgeoptHome({ XDG_DATA_HOME: '/xdg' })).toBe('/xdg/edgeopt');
    expect(edgeoptHome({ HOME: '/h' }).endsWith(join('.local', 'share', 'edgeopt'))).toBe(true);
    expect(resolveStoreLocation(undefined, { EDGEOPT_STORE: 'sqlite:/x/y.db' })).toMatchObject({ kind: 'sqlite', path: '/x/y.db' });
    expect(() => resolveStoreLocation('mysql://u:p@h/db')).toThrow(/unsupported store 'mysql:\/\/u:\*\*\*@h\/db'/);
  });

  it('masks passwords in URLs and in any message that quotes them', () => {
    expect(maskUrl('postgres://alice:s3cret@db.example:5432/edge?sslmode=require')).toBe('postgres://alice:***@db.example:5432/edge?sslmode=require');
    expect(maskUrl('postgresql://bob@host/db?password=hunter22&x=1')).toBe('postgresql://bob@host/db?password=***&x=1');
    const location = resolveStoreLocation('postgres://alice:s3cret@db/edge');
    expect(location.display).toBe('postgres://alice:***@db/edge');
    expect(maskSecrets('failed for postgres://alice:s3cret@db/edge (s3cret)', location)).toBe('failed for postgres://alice:***@db/edge (***)');
  });
});
