import { describe, expect, it } from 'vitest';
import { selectVariant } from '../../src/select/select.js';
import { results, variant } from './fixtures.js';

const study = () =>
  results([
    variant('fp32', 48, 10.8, 0.3828),
    variant('int8-dynamic', 53, 3.0, 0.378),
    variant('int8-static-full', 25.5, 3.1, 0.3805),
    variant('int8-static-allhead', 24.0, 3.0, 0.3650),
    variant('fp16', 101, 5.4, 0.3827),
  ]);

describe('selectVariant', () => {
  it('picks the fastest variant within the default one-point accuracy budget and explains each decision', () => {
    const s = selectVariant(study());
    expect(s.chosen).toBe('int8-static-full');
    expect(s.summary).toContain('1.88x faster than FP32');
    expect(s.summary).toContain('−0.23 mAP50-95');
    const allHead = s.reasons.find((r) => r.variant === 'int8-static-allhead')!;
    expect(allHead.accepted).toBe(false);
    expect(allHead.text).toContain('loses 1.78 mAP50-95 points');
    const dyn = s.reasons.find((r) => r.variant === 'int8-dynamic')!;
    expect(dyn.text).toContain('1.10x slower than FP32');
    const fp16 = s.reasons.find((r) => r.variant === 'fp16')!;
    expect(fp16.text).toContain('no FP16 arithmetic on this CPU');
    expect(fp16.text).toContain('2.1x slower');
  });

  it('honours a looser accuracy budget, size and latency limits', () => {
    expect(selectVariant(study(), { maxMapDrop: 2 }).chosen).toBe('int8-static-allhead');
    expect(selectVariant(study(), { maxSizeMb: 2 }).chosen).toBeUndefined();
    expect(selectVariant(study(), { maxLatencyMs: 20 }).summary).toContain('no variant meets');
  });

  it('uses the practical scenario when asked', () => {
    const r = study();
    r.variants[4]!.benchmarks.practical = { ...r.variants[4]!.benchmarks.practical!, p50Ms: 1 };
    expect(selectVariant(r, {}, 'practical').chosen).toBe('fp16');
  });

  it('explains FP16 differently on a CPU with FP16 arithmetic', () => {
    const r = study();
    r.environment.isa.flags = ['asimd', 'asimdhp', 'fphp'];
    const fp16 = selectVariant(r).reasons.find((x) => x.variant === 'fp16')!;
    expect(fp16.text).not.toContain('no FP16 arithmetic');
  });

  it('rejects quantized variants whose accuracy is unknown only when a budget is set', () => {
    const r = results([variant('fp32', 48, 10.8), variant('int8-static-full', 25, 3.1)]);
    expect(selectVariant(r).chosen).toBe('int8-static-full');
    expect(selectVariant(r).summary).toContain('latency-only choice');
    const strict = selectVariant(r, { maxMapDrop: 0.5 });
    expect(strict.chosen).toBe('fp32');
    expect(strict.reasons.find((x) => x.variant === 'int8-static-full')!.text).toContain('accuracy not measured');
  });

  it('chooses by fidelity vs FP32 when accuracy is a contract mismatch, says so, and never uses the mismatched mAP', () => {
    const fast = { ...variant('int8-static-full', 20, 3.1, 0.0), fidelity: { cosine: 0.97, maxAbsDiff: 3, detectionF1: 0.62 } };
    const good = { ...variant('int8-static-conv', 30, 3.4, 0.0), fidelity: { cosine: 0.999, maxAbsDiff: 0.4, detectionF1: 0.94 } };
    const r = { ...results([variant('fp32', 48, 10.8, 0.0), fast, good]), accuracyCheck: { fits: false, reason: 'mAP50 is 0.2 on the first 16 labelled image(s)', images: 16 } };
    const s = selectVariant(r);
    expect(s.chosen).toBe('int8-static-conv');
    expect(s.reasons.find((x) => x.variant === 'int8-static-full')!.text).toMatch(/detection F1 0\.620 is below 0\.9/);
    expect(s.summary).toMatch(/contract mismatch: mAP50 is 0\.2 .*rests on fidelity vs FP32 \(detection F1 ≥ 0\.9\)/);
    expect(s.summary).not.toMatch(/mAP50-95/);
    // Without a decoder, the worst output cosine is the measure; --min-fidelity sets the floor.
    const noDecoder = { ...results([variant('fp32', 48, 10.8), { ...variant('fp16', 40, 5.4), fidelity: { cosine: 0.9995, maxAbsDiff: 0.01 } }]) };
    expect(selectVariant(noDecoder).chosen).toBe('fp16');
    expect(selectVariant(noDecoder, { minFidelity: 0.9999 }).chosen).toBe('fp32');
  });

  it('uses --min-fidelity as a second check when accuracy was measured', () => {
    const v = { ...variant('int8-static-full', 25, 3.1, 0.375), fidelity: { cosine: 0.99, maxAbsDiff: 1, detectionF1: 0.8 } };
    const r = results([variant('fp32', 48, 10.8, 0.38), v]);
    expect(selectVariant(r).chosen).toBe('int8-static-full');
    expect(selectVariant(r, { minFidelity: 0.85 }).chosen).toBe('fp32');
  });
});
