import { describe, expect, it } from 'vitest';
import { paretoFront, renderCharts } from '../../src/report/charts.js';
import { renderReport } from '../../src/report/markdown.js';
import { selectVariant } from '../../src/select/select.js';
import { results, stats, variant } from '../select/fixtures.js';

describe('report', () => {
  const r = results([variant('fp32', 48, 10.8, 0.3828), variant('int8-dynamic', 53, 3.0, 0.378), variant('int8-static-full', 25.5, 3.1, 0.3805)]);
  r.variants[0]!.benchmarks.sweep = [{ threads: 1, stats: stats(48) }, { threads: 2, stats: stats(33) }];
  r.variants[1]!.profile = { scenario: 'controlled', totalMs: 50, opTypes: [{ opType: 'ConvInteger', ms: 33, share: 0.66, count: 76 }, { opType: 'DynamicQuantizeLinear', ms: 5, share: 0.1, count: 63 }] };
  r.selection = selectVariant(r);

  it('marks the Pareto front on size, latency and accuracy', () => {
    const front = paretoFront([
      { name: 'a', size: 10, latency: 48, accuracy: 0.38 },
      { name: 'b', size: 3, latency: 53, accuracy: 0.378 },
      { name: 'c', size: 3.1, latency: 25, accuracy: 0.37 },
      { name: 'd', size: 3.2, latency: 26, accuracy: 0.36 },
    ]);
    expect([...front].sort()).toEqual(['a', 'b', 'c']);
  });

  it('renders every chart as standalone SVG and a report that references them', async () => {
    const charts = await renderCharts(r);
    expect(charts.map((c) => c.file)).toEqual(['size.svg', 'latency.svg', 'ops.svg', 'threads.svg', 'pareto.svg']);
    for (const c of charts) expect(c.svg.startsWith('<svg')).toBe(true);
    expect(charts.find((c) => c.file === 'ops.svg')!.svg).toContain('ConvInteger');
    const md = renderReport(r, charts);
    for (const c of charts) expect(md).toContain(`](${c.file})`);
    expect(md).toContain('## Latency: controlled scenario');
    expect(md).toMatch(/\| int8-static-full \| 25\.5 \|/);
    expect(md).toContain('1.88x faster');
    expect(md).toContain('**chosen** int8-static-full');
    expect(md).toContain('## Thread scaling');
    expect(md).toContain('| ConvInteger | 76 | 33.00 | 66.0% |');
  });

  it('says how much bad data was skipped, in the counts results.json holds', () => {
    const images = { total: 128, skipped: 3, reasons: { corrupt: 2, empty: 1 } };
    const labels = { total: 941, skipped: 2, reasons: { duplicate: 1, 'class id out of range': 1 } };
    const md = renderReport({ ...r, dataQuality: { eval: { images, labels, labelUnit: 'label lines', maxBad: 0.05, strict: false, examples: [] } } }, []);
    expect(md).toContain('Evaluation data: 3 of 128 images skipped: 2 corrupt, 1 empty; 2 of 941 label lines skipped: 1 duplicate, 1 class id out of range.');
  });
});
