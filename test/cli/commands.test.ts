import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { invokedCommand, registerAllCommands, registerCommands } from '../../src/cli/commands/index.js';
import { COMMAND_TABLE } from '../../src/cli/commands/table.js';

function program(): Command {
  return new Command().name('edgeopt').description('test').exitOverride();
}

describe('the lazy command table', () => {
  it('lists every command in the top-level --help exactly as the full registration does', async () => {
    const full = program();
    await registerAllCommands(full);
    const lazy = program();
    await registerCommands(lazy, ['--help']);
    expect(lazy.helpInformation()).toBe(full.helpInformation());
    expect(full.commands.map((c) => c.name())).toEqual(COMMAND_TABLE.map((c) => c.name));
  });

  it("has each command's usage and description as its module registers them", async () => {
    const full = program();
    await registerAllCommands(full);
    for (const entry of COMMAND_TABLE) {
      const cmd = full.commands.find((c) => c.name() === entry.name)!;
      const args = cmd.registeredArguments.map((a) => (a.required ? `<${a.name()}${a.variadic ? '...' : ''}>` : `[${a.name()}${a.variadic ? '...' : ''}]`));
      expect([cmd.options.length ? '[options]' : '', ...args].filter(Boolean).join(' '), entry.name).toBe(entry.usage);
      expect(cmd.description()).toBe(entry.description);
    }
  });

  it('registers in full only the command being run, in its place, with its options and its own --help', async () => {
    const lazy = program();
    await registerCommands(lazy, ['bench', 'a.onnx', '--runs', '5']);
    const names = lazy.commands.map((c) => c.name());
    expect(names).toEqual(COMMAND_TABLE.map((c) => c.name));
    const bench = lazy.commands.find((c) => c.name() === 'bench')!;
    expect(bench.options.map((o) => o.long)).toContain('--providers');
    expect(lazy.commands.find((c) => c.name() === 'quantize')!.options).toEqual([]);
    const full = program();
    await registerAllCommands(full);
    expect(bench.helpInformation()).toBe(full.commands.find((c) => c.name() === 'bench')!.helpInformation());
  });

  it('finds the invoked command the way commander dispatches', () => {
    expect(invokedCommand([])).toBeUndefined();
    expect(invokedCommand(['--help'])).toBeUndefined();
    expect(invokedCommand(['-V'])).toBeUndefined();
    expect(invokedCommand(['inspect', 'model.pt'])).toBe('inspect');
    expect(invokedCommand(['help', 'quantize'])).toBe('quantize');
    expect(invokedCommand(['fleet', 'submit', '--device', 'x'])).toBe('fleet');
    expect(invokedCommand(['inspct'])).toBeUndefined();
  });
});
