import { readFileSync } from 'node:fs';

/** Reads a little-endian float32 .npy file (the reference tensors in ../shared/assets/reference). */
export function readNpyFloat32(path: string): { shape: number[]; data: Float32Array } {
  const buf = readFileSync(path);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${path} is not a .npy file`);
  const major = buf[6]!;
  const headerLen = major >= 2 ? buf.readUInt32LE(8) : buf.readUInt16LE(8);
  const headerStart = major >= 2 ? 12 : 10;
  const header = buf.toString('latin1', headerStart, headerStart + headerLen);
  if (!header.includes("'<f4'")) throw new Error(`${path}: only little-endian float32 is supported`);
  if (header.includes("'fortran_order': True")) throw new Error(`${path}: Fortran order is not supported`);
  const shape = (header.match(/'shape': \(([^)]*)\)/)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const start = headerStart + headerLen;
  const bytes = buf.subarray(start);
  const data = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(data.buffer).set(bytes);
  return { shape, data };
}
