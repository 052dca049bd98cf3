#!/usr/bin/env node
import { Command } from 'commander';
import { TOOL_VERSION } from '../util/version.js';
import { reportFailure } from './action.js';
import { registerCommands } from './commands/index.js';

// `edgeopt … | head` closes stdout early: that is the reader's choice, not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

const program = new Command();
program
  .name('edgeopt')
  .description('Hardware-aware optimization of edge vision models: measure which variant is fastest and accurate enough on this device.')
  .version(TOOL_VERSION)
  .configureOutput({ outputError: (text, write) => write(`edgeopt: ${text.replace(/^error: /, 'error: ').trimEnd()}\n`) });

// Only the command being run is imported (its module loads its heavy dependencies in its action); the others
// are listed from a table, so `edgeopt --help` costs commander and not sixteen command modules.
registerCommands(program, process.argv.slice(2))
  .then(() => program.parseAsync(process.argv))
  .catch(reportFailure);
