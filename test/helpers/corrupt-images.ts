import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/**
 * Ways to break a real JPEG the way real datasets break: cut short, bits flipped in the header segments (frame,
 * Huffman table, scan), emptied, or replaced by text under a .jpg name. Bits flipped inside the compressed
 * data mostly decode without any complaint in every decoder, so those are not among them.
 */
export const CORRUPTIONS = {
  truncated: (b: Buffer) => b.subarray(0, Math.floor(b.length * 0.6)),
  'flipped-frame': (b: Buffer) => flipAfter(b, 0xc0, 1, 0x08),
  'flipped-huffman': (b: Buffer) => flipAfter(b, 0xc4, 5, 0x80),
  'flipped-scan': (b: Buffer) => flipAfter(b, 0xda, 1, 0x01),
  empty: () => Buffer.alloc(0),
  'not-an-image': () => Buffer.from('this is a text file with a .jpg name\n'),
} satisfies Record<string, (b: Buffer) => Buffer>;

export type Corruption = keyof typeof CORRUPTIONS;

/** Flips `mask` in the byte `offset` after the first 0xFF `marker` pair. */
function flipAfter(buf: Buffer, marker: number, offset: number, mask: number): Buffer {
  const out = Buffer.from(buf);
  for (let i = 2; i < out.length - 1; i++) {
    if (out[i] === 0xff && out[i + 1] === marker) {
      out[i + offset]! ^= mask;
      return out;
    }
  }
  throw new Error(`marker 0xFF${marker.toString(16)} not found`);
}

/**
 * A YOLO dataset folder (images/ + labels/) of real images, `corrupt` of them broken in turn by each kind above.
 * Returns the paths of the broken images.
 */
export async function buildDataset(dir: string, sources: { imagesDir: string; labelsDir?: string; names: string[] }, corrupt: number): Promise<string[]> {
  await mkdir(join(dir, 'images'), { recursive: true });
  await mkdir(join(dir, 'labels'), { recursive: true });
  const kinds = Object.keys(CORRUPTIONS) as Corruption[];
  const broken: string[] = [];
  for (const [i, name] of sources.names.entries()) {
    const target = join(dir, 'images', name);
    if (i < corrupt) {
      const kind = kinds[i % kinds.length]!;
      await writeFile(target, CORRUPTIONS[kind](await readFile(join(sources.imagesDir, name))));
      broken.push(target);
    } else {
      await copyFile(join(sources.imagesDir, name), target);
    }
    const label = `${basename(name, '.jpg')}.txt`;
    if (sources.labelsDir) await copyFile(join(sources.labelsDir, label), join(dir, 'labels', label)).catch(() => undefined);
  }
  return broken;
}
