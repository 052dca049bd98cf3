import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EdgeoptError } from '../util/errors.js';
import type { BenchReply, OverheadReply, ProfileReply, WorkerReply, WorkerRequest } from './worker-protocol.js';

/**
 * Runs one request in a fresh child process (src/bench/worker.ts) and returns its reply. A child
 * that exceeds `timeoutMs` is killed; one that crashes yields a one-line EdgeoptError; either way the
 * caller can record the failure for that run set and carry on with the others.
 */
export interface ChildOptions {
  timeoutMs: number;
  /**
   * Start the child as the leader of its own process group, so a terminal's Ctrl-C reaches only
   * the parent (the fleet agent, which finishes its current job on it); the child still exits when
   * the parent goes, through its IPC channel.
   */
  detached?: boolean;
}

export const DEFAULT_CHILD_TIMEOUT_MS = 600_000;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // On a normal or error exit of the parent, take the children down with it. (On a signal the
  // children get it too, and they exit when their IPC channel closes; see worker.ts.)
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** The worker's file and how to start it: compiled .js directly, TypeScript sources through tsx. */
function workerCommand(): { modulePath: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const fromSources = here.endsWith('.ts');
  const modulePath = here.replace(/child\.(ts|js)$/, fromSources ? 'worker.ts' : 'worker.js');
  const execArgv = ['--expose-gc'];
  if (fromSources) {
    // Resolve tsx from this package so the child works whatever the current directory is.
    const tsx = createRequire(import.meta.url).resolve('tsx');
    execArgv.push('--import', pathToFileURL(tsx).href);
  }
  return { modulePath, execArgv };
}

function describeRequest(request: WorkerRequest): string {
  return 'model' in request ? `${request.kind} ${request.model}` : request.kind;
}

export function runInChild(request: WorkerRequest & { kind: 'bench' }, options: ChildOptions): Promise<BenchReply>;
export function runInChild(request: WorkerRequest & { kind: 'profile' }, options: ChildOptions): Promise<ProfileReply>;
export function runInChild(request: WorkerRequest & { kind: 'overhead' }, options: ChildOptions): Promise<OverheadReply>;
export function runInChild(request: WorkerRequest, options: ChildOptions): Promise<unknown>;
export function runInChild(request: WorkerRequest, options: ChildOptions): Promise<unknown> {
  installExitHook();
  const { modulePath, execArgv } = workerCommand();
  return new Promise((resolve, reject) => {
    const child = fork(modulePath, [], {
      execArgv,
      detached: options.detached ?? false,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Typed arrays (a real image tensor) cross the channel as binary, not as JSON number lists.
      serialization: 'advanced',
    });
    live.add(child);
    let stderrTail = '';
    child.stdout?.resume();
    child.stderr?.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString()).slice(-2000);
    });
    let settled = false;
    let reply: WorkerReply | undefined;
    const finish = (err: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      live.delete(child);
      if (err) reject(err);
      else resolve(value);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(new EdgeoptError(`${describeRequest(request)}: timed out after ${formatSeconds(options.timeoutMs)} (child process killed)`));
    }, options.timeoutMs);
    child.on('message', (message) => {
      reply = message as WorkerReply;
    });
    child.on('error', (err) => finish(new EdgeoptError(`${describeRequest(request)}: could not start the measurement process (${err.message})`)));
    child.on('exit', (code, signal) => {
      if (reply?.ok) return finish(undefined, reply.result);
      if (reply && !reply.ok) return finish(new EdgeoptError(`${describeRequest(request)}: ${reply.error}`));
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const detail = lastLine(stderrTail);
      finish(new EdgeoptError(`${describeRequest(request)}: measurement process ${how} before reporting${detail ? ` (${detail})` : ''}`));
    });
    child.send(request);
  });
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${+(ms / 1000).toFixed(1)} s`;
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  // Strip ANSI colour codes that onnxruntime's logger adds.
  return (lines[lines.length - 1] ?? '').replace(/\u001b\[[0-9;]*m/g, '').slice(0, 300);
}
