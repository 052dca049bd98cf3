import { join } from 'node:path';
import type { RunResults } from '../results/schema.js';
import { writeFileAtomic } from '../util/fs.js';
import { renderCharts } from './charts.js';
import { renderReport } from './markdown.js';

/** Writes report.md and its SVG charts into `dir` (each atomically); returns the file names. */
export async function writeReport(dir: string, results: RunResults): Promise<string[]> {
  const charts = await renderCharts(results);
  for (const chart of charts) await writeFileAtomic(join(dir, chart.file), chart.svg);
  await writeFileAtomic(join(dir, 'report.md'), renderReport(results, charts));
  return ['report.md', ...charts.map((c) => c.file)];
}
