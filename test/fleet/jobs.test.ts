import { describe, expect, it } from 'vitest';
import { parseJob, parseTarget, queueName } from '../../src/fleet/jobs.js';

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
