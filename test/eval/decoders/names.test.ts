import { describe, expect, it } from 'vitest';
import { DECODERS } from '../../../src/eval/decoders/index.js';
import { DECODER_NAMES } from '../../../src/eval/decoders/names.js';

describe('DECODER_NAMES', () => {
  it('names the registry, in its order (the CLI lists them without loading the decoders)', () => {
    expect(DECODER_NAMES).toEqual(DECODERS.map((d) => d.name));
  });
});
