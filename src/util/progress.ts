/**
 * Progress lines on stderr, so that stdout stays clean for results (tables, JSON).
 * Quiet mode (for --json pipelines and tests) silences everything.
 */
export interface Progress {
  step(message: string): void;
  /** A counter such as "calibrating 12/128"; redraws in place on a TTY, prints every ~10% otherwise. */
  tick(label: string, done: number, total: number): void;
  warn(message: string): void;
}

export function stderrProgress(options: { quiet?: boolean } = {}): Progress {
  const quiet = options.quiet ?? false;
  const tty = process.stderr.isTTY === true;
  let lastDecile = -1;
  return {
    step(message) {
      if (!quiet) process.stderr.write(`edgeopt: ${message}\n`);
    },
    tick(label, done, total) {
      if (quiet) return;
      if (tty) {
        const width = 24;
        const filled = Math.round((done / Math.max(total, 1)) * width);
        process.stderr.write(`\r  ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`);
        if (done >= total) process.stderr.write('\n');
        return;
      }
      const decile = Math.floor((done / Math.max(total, 1)) * 10);
      if (decile !== lastDecile || done >= total) {
        lastDecile = done >= total ? -1 : decile;
        process.stderr.write(`  ${label} ${done}/${total}\n`);
      }
    },
    warn(message) {
      if (!quiet) process.stderr.write(`edgeopt: warning: ${message}\n`);
    },
  };
}

export const silentProgress: Progress = { step() {}, tick() {}, warn() {} };
