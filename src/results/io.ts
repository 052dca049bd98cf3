import { EdgeoptError } from '../util/errors.js';
import { readJsonFile, writeFileAtomic } from '../util/fs.js';
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

export async function writeResults(path: string, results: RunResults): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(results, null, 2)}\n`);
}
