import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { convertFile, type ConvertOptions } from './convert.js';

/**
 * Runs `use` with an ONNX path for `modelPath`: the file itself, or — for a .pt checkpoint — a
 * converted copy in a temp folder that is removed afterwards. Lets every command accept .pt input.
 */
export async function withOnnxModel<T>(modelPath: string, use: (onnxPath: string) => Promise<T>, options: ConvertOptions = {}): Promise<T> {
  if (!/\.(pt|pth)$/i.test(modelPath)) return use(modelPath);
  const dir = await mkdtemp(join(tmpdir(), 'edgeopt-convert-'));
  try {
    const onnxPath = join(dir, `${basename(modelPath).replace(/\.(pt|pth)$/i, '')}.onnx`);
    await convertFile(modelPath, onnxPath, options);
    return await use(onnxPath);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
