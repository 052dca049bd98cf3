/**
 * The one error type that edgeopt throws for problems the user can fix (bad input, missing files,
 * unsupported models). The CLI prints `message` as a single line and exits with `exitCode`;
 * anything else that escapes is a bug and is reported as such.
 */
export class EdgeoptError extends Error {
  readonly exitCode: number;

  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EdgeoptError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Type guard that also works across module copies (e.g. child processes re-throwing). */
export function isEdgeoptError(err: unknown): err is EdgeoptError {
  return err instanceof EdgeoptError || (err instanceof Error && err.name === 'EdgeoptError');
}

/** A one-line description of any thrown value, for messages that wrap a lower-level failure. */
export function describeError(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}
