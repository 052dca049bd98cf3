import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { sha256File } from '../store/capture.js';
import type { SqlRunner } from '../store/sql.js';
import { EdgeoptError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import type { JobModel } from './jobs.js';

/**
 * Model files on an agent: fetched from the store by sha256 into a local cache, and checked against
 * that sha256 both when fetched and every time before use — an agent runs only the exact bytes the
 * submitter sent.
 */
export async function modelFile(db: SqlRunner, model: JobModel, cacheDir: string): Promise<string> {
  const path = join(cacheDir, `${model.sha256}.onnx`);
  if ((await sha256File(path).catch(() => undefined)) === model.sha256) return path;
  const rows = await db.all<{ data: Uint8Array }>('SELECT data FROM model_blobs WHERE sha256 = ?', [model.sha256]);
  if (rows.length === 0) throw new EdgeoptError(`model ${model.name} (sha256 ${model.sha256.slice(0, 12)}…) is not in the store`);
  const data = rows[0]!.data;
  const actual = createHash('sha256').update(data).digest('hex');
  if (actual !== model.sha256) throw new EdgeoptError(`model ${model.name}: the stored bytes hash to ${actual.slice(0, 12)}…, not ${model.sha256.slice(0, 12)}…; refusing to run it`);
  await writeFileAtomic(path, data);
  // Re-read from disk: what runs is the file, so the file is what must match.
  if ((await sha256File(path)) !== model.sha256) throw new EdgeoptError(`model ${model.name}: the cached file does not match its sha256; refusing to run it`);
  return path;
}
