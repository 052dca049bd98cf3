import { describe, expect, it } from 'vitest';
import { pythonNamesRepr, pythonStringRepr } from '../../src/models/metadata.js';

describe('metadata in the official exporters\' format', () => {
  it('writes names as a Python dict repr', () => {
    expect(pythonNamesRepr(['person', 'traffic light'])).toBe("{0: 'person', 1: 'traffic light'}");
  });

  it('quotes like Python repr()', () => {
    expect(pythonStringRepr("driver's cab")).toBe('"driver\'s cab"');
    expect(pythonStringRepr('say "hi" it\'s')).toBe("'say \"hi\" it\\'s'");
    expect(pythonStringRepr('a\\b')).toBe("'a\\\\b'");
  });
});
