import { describe, expect, it } from 'vitest';
import { resolveRewrites, REWRITES } from '../../src/optimize/index.js';
import { DEFAULT_REWRITE_NAMES, REWRITE_NAMES } from '../../src/optimize/rewrites/names.js';

describe('REWRITE_NAMES', () => {
  it('names the registry in its order, and the default set is the one the library applies', () => {
    expect(REWRITE_NAMES).toEqual(Object.keys(REWRITES));
    expect(DEFAULT_REWRITE_NAMES).toEqual(resolveRewrites(undefined));
  });
});
