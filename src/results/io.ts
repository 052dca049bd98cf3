import { readFile } from 'node:fs/promises';
import { EdgeoptError, describeError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { RESULTS_SCHEMA_VERSION, type RunResults } from './schema.js';

export async function readResults(path: string): Promise<RunResults> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new EdgeoptError(`results file not found: ${path}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new EdgeoptError(`${path} is not valid JSON (${describeError(err)})`);
  }
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
