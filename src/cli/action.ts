import { InvalidArgumentError } from 'commander';
import { isEdgeoptError } from '../util/errors.js';
import { warnInProcessFallbacks } from './warnings.js';

/**
 * Wraps a command's action so that expected failures become one line on stderr and a non-zero exit
 * code, and unexpected ones say they are a bug (still one line; EDGEOPT_DEBUG=1 shows the stack).
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void | number> | void | number) {
  return async (...args: A): Promise<void> => {
    const stopWarning = warnInProcessFallbacks();
    try {
      const code = await fn(...args);
      if (typeof code === 'number' && code !== 0) process.exitCode = code;
    } catch (err) {
      reportFailure(err);
    } finally {
      stopWarning();
    }
  };
}

export function reportFailure(err: unknown): void {
  if (isEdgeoptError(err)) {
    process.stderr.write(`edgeopt: error: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return;
  }
  const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
  process.stderr.write(`edgeopt: internal error: ${message} (set EDGEOPT_DEBUG=1 for details)\n`);
  if (process.env.EDGEOPT_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 70;
}

/** Parses a numeric flag, rejecting absurd values with a one-line error instead of NaN surprises. */
export function parseNumberOption(name: string, min: number, max: number, integer = false) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got '${value}'`);
    }
    return n;
  };
}
