import { describe, expect, it } from 'vitest';
import { parseJob, parseTarget, queueName } from '../../src/fleet/jobs.js';
import { orderedJobId } from '../../src/fleet/submit.js';

const good = {
  v: 1,
  kind: 'bench',
  submissionId: '0f8e2b9c-1a2b-4c3d-8e9f-001122334455',
  variant: 'int8-static-full',
  model: { sha256: 'ab'.repeat(32), name: 'model_int8_static_full', sizeBytes: 3_180_000 },
  timeoutS: 600,
  scenarios: ['controlled'],
  runs: 100,
  warmup: 10,
  rounds: 3,
};

describe('fleet jobs', () => {
  it('are validated field by field and copied, so nothing else a job carries reaches the agent', () => {
    const job = parseJob({ ...good, command: 'rm -rf /', model: { ...good.model, path: '/etc/passwd' } });
    expect(job).toEqual(good);
    expect(JSON.stringify(job)).not.toMatch(/rm -rf|passwd/);
  });

  it.each([
    [{ ...good, v: 2 }, /unsupported job version/],
    [{ ...good, kind: 'shell' }, /unknown kind/],
    [{ ...good, model: { ...good.model, sha256: 'xyz' } }, /sha256 must be 64 hex/],
    [{ ...good, variant: '../../etc' }, /variant must be a plain name/],
    [{ ...good, scenarios: ['everything'] }, /scenarios must be a list/],
    [{ ...good, runs: 1e9 }, /runs must be an integer/],
    [{ ...good, timeoutS: 0 }, /timeoutS must be an integer/],
    [{ ...good, providers: ['cuda; curl evil'] }, /providers must be a list/],
    ['{"v":1}', /not an object/],
  ])('are refused when malformed (%#)', (data, message) => {
    expect(() => parseJob(data)).toThrow(message);
  });

  it('go to one queue per device and per tag, with names checked', () => {
    expect(queueName(parseTarget('device', 'pi5'))).toBe('edgeopt-device-pi5');
    expect(queueName(parseTarget('tag', 'arm64'))).toBe('edgeopt-tag-arm64');
    expect(() => parseTarget('device', 'a b; drop table')).toThrow(/--device 'a b; drop table': use letters/);
  });
});

describe('job ids', () => {
  it('are UUIDv7-shaped and sort in the order the jobs were given, past 4096 jobs in one millisecond too', () => {
    const at = Date.UTC(2026, 11, 2);
    const ids = [0, 1, 2, 15, 16, 4095, 4096, 5000].map((i) => orderedJobId(i, at));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]!.replace(/-/g, '').slice(0, 12)).toBe(at.toString(16).padStart(12, '0'));
    expect(new Set([0, 0, 0].map((i) => orderedJobId(i, at))).size).toBe(3);
  });
});
