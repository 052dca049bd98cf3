import { Help, type Command } from 'commander';
import { COMMAND_TABLE, commandSummary, type CommandName } from './table.js';

type Register = (program: Command) => void;

/**
 * Each command module, loaded only when its command runs (or prints its own --help): importing all sixteen
 * at start-up cost more than Node's own start. A loader is one line per command, in table order.
 */
const LOADERS: Record<CommandName, () => Promise<Register>> = {
  inspect: async () => (await import('./inspect.js')).registerInspect,
  convert: async () => (await import('./convert.js')).registerConvert,
  analyze: async () => (await import('./analyze.js')).registerAnalyze,
  quantize: async () => (await import('./quantize.js')).registerQuantize,
  bench: async () => (await import('./bench.js')).registerBench,
  diagnose: async () => (await import('./diagnose.js')).registerDiagnose,
  eval: async () => (await import('./eval.js')).registerEval,
  detect: async () => (await import('./detect.js')).registerDetect,
  run: async () => (await import('./run.js')).registerRun,
  select: async () => (await import('./select.js')).registerSelect,
  report: async () => (await import('./report.js')).registerReport,
  demo: async () => (await import('./demo.js')).registerDemo,
  optimize: async () => (await import('./optimize.js')).registerOptimize,
  history: async () => (await import('./history.js')).registerHistory,
  fleet: async () => (await import('./fleet.js')).registerFleet,
  agent: async () => (await import('./agent.js')).registerAgent,
};

/**
 * The command the arguments name, the way commander dispatches: the first argument that is not an option
 * (the program itself has only --help and --version), or the one after `help`.
 */
export function invokedCommand(args: readonly string[]): CommandName | undefined {
  const operands = args.filter((a) => !a.startsWith('-'));
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  return name !== undefined && commandSummary(name) ? (name as CommandName) : undefined;
}

/** Marks the commands registered from the table only, for the top-level --help's command list. */
const STUB_USAGE = new WeakMap<Command, string>();

/**
 * Registers every command on `program`: the one `args` names in full (its module's options, arguments and
 * action), every other one from the table (name and description, enough for the top-level --help and for
 * commander's "did you mean" on a typo). `args` are the user's arguments (process.argv without node and script).
 */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const invoked = invokedCommand(args);
  const full = invoked ? await LOADERS[invoked]() : undefined;
  for (const entry of COMMAND_TABLE) {
    if (entry.name === invoked) {
      full!(program);
      continue;
    }
    const stub = program.command(entry.name).description(entry.description);
    STUB_USAGE.set(stub, entry.usage);
  }
  program.configureHelp({
    // commander builds the term from the registered options and arguments, which a stub does not have.
    subcommandTerm(this: Help, cmd: Command): string {
      const usage = STUB_USAGE.get(cmd);
      if (usage === undefined) return Help.prototype.subcommandTerm.call(this, cmd);
      return usage ? `${cmd.name()} ${usage}` : cmd.name();
    },
  });
}

/** Every command in full (tests compare the table-built --help with this one). */
export async function registerAllCommands(program: Command): Promise<void> {
  for (const entry of COMMAND_TABLE) (await LOADERS[entry.name]())(program);
}
