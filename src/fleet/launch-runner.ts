import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EdgeoptError } from '../util/errors.js';
import type { RunnerReply, RunnerRequest, RunnerResult } from './runner-protocol.js';

/** The runner's file and how to start it: compiled .js directly, TypeScript sources through tsx. */
function runnerCommand(): { modulePath: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const fromSources = here.endsWith('.ts');
  const modulePath = here.replace(/launch-runner\.(ts|js)$/, fromSources ? 'runner.ts' : 'runner.js');
  return { modulePath, execArgv: fromSources ? ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href] : [] };
}

/**
 * Runs one request in a fresh runner process and returns its result. The runner leads its own
 * process group, so at `timeoutMs` the whole group — runner and measurement children — is killed
 * with SIGKILL: a hanging job cannot outlive its time limit, nor hold the host after it.
 */
export function runInRunner(request: RunnerRequest, timeoutMs: number): Promise<RunnerResult> {
  const { modulePath, execArgv } = runnerCommand();
  return new Promise((resolve, reject) => {
    const child = fork(modulePath, [], { execArgv, detached: true, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString()).slice(-1000)));
    let reply: RunnerReply | undefined;
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, timeoutMs);
    // If this agent exits (even on an error), take the job with it.
    const onExit = () => killGroup();
    process.once('exit', onExit);
    child.on('message', (message) => (reply = message as RunnerReply));
    child.on('error', (err) => {
      clearTimeout(timer);
      process.off('exit', onExit);
      reject(new EdgeoptError(`could not start the job runner (${err.message})`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      process.off('exit', onExit);
      // Measurement children that are still around belong to this job: end them too.
      killGroup();
      if (timedOut) return reject(new EdgeoptError(`timed out after ${Math.round(timeoutMs / 1000)} s (job killed)`));
      if (reply?.ok) return resolve(reply.result);
      if (reply) return reject(new EdgeoptError(reply.error));
      const detail = stderrTail.split('\n').map((l) => l.trim()).filter(Boolean).pop();
      reject(new EdgeoptError(`the job runner ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${detail ? ` (${detail.slice(0, 200)})` : ''}`));
    });
    child.send(request);
  });
}
