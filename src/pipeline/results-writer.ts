/**
 * The one writer of a run's outputs: results.json (atomically, temp + rename, through results/io) after every
 * stage, and report.md with its charts at the end. An interrupt (Ctrl-C) writes synchronously through the same
 * serializer, so the caller may exit at once and still leave a valid partial results.json and report.md.
 */
import { join } from 'node:path';
import { renderReport } from '../report/markdown.js';
import { writeReport } from '../report/write.js';
import { writeResults, writeResultsSync } from '../results/io.js';
import type { RunResults } from '../results/schema.js';
import { writeFileAtomicSync } from '../util/fs.js';

export interface ResultsWriter {
  readonly resultsPath: string;
  /** results.json as it stands now. */
  save(): Promise<void>;
  /** results.json and report.md right now, synchronously (a report without charts): for an interrupt. */
  saveNow(): void;
  /** results.json, report.md and the charts: the end of a run, complete or not. */
  finish(): Promise<void>;
}

export function resultsWriter(outDir: string, results: RunResults): ResultsWriter {
  const resultsPath = join(outDir, 'results.json');
  return {
    resultsPath,
    save: () => writeResults(resultsPath, results),
    saveNow: () => {
      writeResultsSync(resultsPath, results);
      writeFileAtomicSync(join(outDir, 'report.md'), renderReport(results, []));
    },
    finish: async () => {
      await writeResults(resultsPath, results);
      await writeReport(outDir, results);
    },
  };
}
