import type { Command } from 'commander';

/** Every CLI command registers itself here: one file per command under src/cli/commands/. */
export const commands: Array<(program: Command) => void> = [
];
