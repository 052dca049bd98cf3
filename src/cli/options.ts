/**
 * The flags several commands share: one name, one meaning, one set of limits (here, nowhere else), and the
 * old names kept as hidden aliases for one release. Only commander and tiny modules are imported, so that
 * registering every command for `--help` stays cheap.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_CHILD_TIMEOUT_MS } from '../bench/child.js';
import { stderrProgress, type Progress } from '../util/progress.js';
import { parseNumberOption } from './action.js';

/** The accepted range of every shared numeric flag. */
export const LIMITS = {
  /** Timed (bench, run) or profiled (diagnose) runs. */
  runs: { min: 1, max: 100_000 },
  warmup: { min: 0, max: 10_000 },
  rounds: { min: 1, max: 100 },
  /** Seconds per child process (benchmark, profile). */
  timeoutS: { min: 0.001, max: 86_400 },
  /** Images taken from a calibration folder or an evaluation dataset. */
  images: { min: 1, max: 1_000_000 },
  /** Square input side in pixels. */
  imgsz: { min: 32, max: 8192 },
  port: { min: 0, max: 65_535 },
} as const;

/** Seconds a benchmark or profiling child may take before it is stopped: the library's default. */
export const DEFAULT_TIMEOUT_S = DEFAULT_CHILD_TIMEOUT_MS / 1000;

/** An integer flag within a limit (exported for the hidden aliases, which name themselves in their errors). */
export function countParser(flag: string, limit: { min: number; max: number }): (value: string) => number {
  return parseNumberOption(flag, limit.min, limit.max, true);
}

const integer = countParser;

export function runsOption(description: string, defaultValue: number): Option {
  return new Option('--runs <n>', description).argParser(integer('--runs', LIMITS.runs)).default(defaultValue);
}

export function warmupOption(description: string, defaultValue: number): Option {
  return new Option('--warmup <n>', description).argParser(integer('--warmup', LIMITS.warmup)).default(defaultValue);
}

export function roundsOption(description: string, defaultValue: number): Option {
  return new Option('--rounds <n>', description).argParser(integer('--rounds', LIMITS.rounds)).default(defaultValue);
}

export function timeoutOption(description: string, defaultValue: number | undefined = DEFAULT_TIMEOUT_S): Option {
  const option = new Option('--timeout-s <s>', description).argParser(parseNumberOption('--timeout-s', LIMITS.timeoutS.min, LIMITS.timeoutS.max));
  return defaultValue === undefined ? option : option.default(defaultValue);
}

export function calibImagesOption(description: string): Option {
  return new Option('--calib-images <n>', description).argParser(integer('--calib-images', LIMITS.images));
}

export function evalImagesOption(description: string): Option {
  return new Option('--eval-images <n>', description).argParser(integer('--eval-images', LIMITS.images));
}

export function imgszOption(description: string, defaultValue?: number): Option {
  const option = new Option('--imgsz <n>', description).argParser(integer('--imgsz', LIMITS.imgsz));
  return defaultValue === undefined ? option : option.default(defaultValue);
}

export function portOption(description: string, defaultValue: number): Option {
  return new Option('--port <n>', description).argParser(integer('--port', LIMITS.port)).default(defaultValue);
}

/** `--providers cuda,cpu`: kept as text here and parsed by the runtime in the action (it loads onnxruntime). */
export function providersOption(which?: string): Option {
  const text = 'execution providers to try in order, falling back explicitly (e.g. cuda,cpu)';
  return new Option('--providers <list>', which ? `${text}, ${which}` : text).default('cpu');
}

/** `-q, --quiet` on every command that reports progress on stderr. */
export function quietOption(): Option {
  return new Option('-q, --quiet', 'no progress on stderr (warnings and errors still appear)');
}

/**
 * Progress on stderr unless --quiet or --json. Warnings are kept in both cases: they say something about the
 * result (a skipped image, a fallback), not about how far the work has come.
 */
export function progressFor(flags: { quiet?: boolean; json?: boolean }): Progress {
  const progress = stderrProgress({ quiet: flags.quiet || flags.json });
  return { ...progress, warn: stderrProgress().warn };
}

/**
 * Keeps an old flag name working for one release: hidden from --help, parsed like the new one, mapped onto
 * it before the action runs, with a one-line deprecation note on stderr. Giving both is an error.
 */
export function deprecatedAlias(command: Command, oldFlag: string, replacement: Option, parse?: (value: string) => unknown): Command {
  const old = new Option(`${oldFlag} <value>`).hideHelp();
  if (parse) old.argParser(parse);
  command.addOption(old);
  command.hook('preAction', (cmd) => {
    const value = cmd.getOptionValue(old.attributeName());
    if (value === undefined) return;
    if (cmd.getOptionValueSource(replacement.attributeName()) === 'cli') {
      cmd.error(`error: ${oldFlag} is the old name of ${replacement.long}: give only ${replacement.long}`, { exitCode: 2 });
    }
    process.stderr.write(`edgeopt: warning: ${oldFlag} is deprecated and will be removed in the next release; use ${replacement.long}\n`);
    cmd.setOptionValueWithSource(replacement.attributeName(), value, 'cli');
  });
  return command;
}
