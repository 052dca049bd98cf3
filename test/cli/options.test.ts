import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { LIMITS, calibImagesOption, countParser, deprecatedAlias, timeoutOption } from '../../src/cli/options.js';
import { modes } from '../../src/quantize/index.js';
import { MODEL_MODE_NAMES, QUANTIZE_MODE_NAMES } from '../../src/quantize/mode-names.js';

/** A command with --calib-images and its old name, parsed like the CLI parses it; returns the options seen. */
async function parse(args: string[]): Promise<{ opts: Record<string, unknown>; stderr: string }> {
  const program = new Command().exitOverride();
  const calib = calibImagesOption('calibrate on at most this many images');
  let opts: Record<string, unknown> = {};
  const command = program.command('q').addOption(calib).addOption(timeoutOption('seconds')).action((o) => (opts = o));
  deprecatedAlias(command, '--calib-limit', calib, countParser('--calib-limit', LIMITS.images));
  let stderr = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    await program.parseAsync(['node', 'edgeopt', 'q', ...args]);
  } finally {
    process.stderr.write = write;
  }
  return { opts, stderr };
}

describe('shared CLI flags', () => {
  it('maps an old flag name onto the new one, with a one-line deprecation note', async () => {
    const old = await parse(['--calib-limit', '8']);
    expect(old.opts.calibImages).toBe(8);
    expect(old.stderr).toBe('edgeopt: warning: --calib-limit is deprecated and will be removed in the next release; use --calib-images\n');
    const current = await parse(['--calib-images', '8']);
    expect(current.opts.calibImages).toBe(8);
    expect(current.stderr).toBe('');
  });

  it('refuses both names at once, and checks the old name against the same limits', async () => {
    await expect(parse(['--calib-limit', '8', '--calib-images', '4'])).rejects.toThrow(/--calib-limit is the old name of --calib-images/);
    await expect(parse(['--calib-limit', '0'])).rejects.toThrow(/--calib-limit must be an integer from 1 to 1000000/);
  });

  it('has one timeout default: the library\'s', async () => {
    expect((await parse([])).opts.timeoutS).toBe(600);
  });

  it('lists the quantization modes the library implements, and every mode --mode accepts', () => {
    expect([...MODEL_MODE_NAMES].sort()).toEqual(Object.keys(modes).sort());
    expect(QUANTIZE_MODE_NAMES).toEqual(['dynamic', 'static', 'fp16', 'dequantize', 'auto']);
  });
});
