import { EdgeoptError } from '../util/errors.js';
import { readJsonFile, writeFileAtomic, writeFileAtomicSync } from '../util/fs.js';
import { RESULTS_SCHEMA_VERSION, type RunResults } from './schema.js';

export async function readResults(path: string): Promise<RunResults> {
  const data = await readJsonFile(path, 'results file');
  const record = data as Partial<RunResults>;
  if (typeof record !== 'object' || record === null || !Array.isArray(record.variants)) {
    throw new EdgeoptError(`${path} is not an edgeopt results.json (no variants)`);
  }
  if (record.schemaVersion !== RESULTS_SCHEMA_VERSION) {
    throw new EdgeoptError(`${path} has schemaVersion ${String(record.schemaVersion)}; this edgeopt reads ${RESULTS_SCHEMA_VERSION}`);
  }
  return record as RunResults;
}

/** results.json's text: one serializer for every writer. */
export function serializeResults(results: RunResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}

/** Writes results.json atomically (temp + rename). */
export async function writeResults(path: string, results: RunResults): Promise<void> {
  await writeFileAtomic(path, serializeResults(results));
}

/** The same, synchronously: for a signal handler that must finish before the process exits. */
export function writeResultsSync(path: string, results: RunResults): void {
  writeFileAtomicSync(path, serializeResults(results));
}
