/**
 * Starting a server process and knowing when it is ready. A server that exits
 * or never becomes ready is killed and reported with the tail of its log, so a
 * failed start never leaves a half-started process behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '@relforge/errors';

export interface ServerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  name: string;
  command: string;
  args: string[];
  /** Added to this process's environment; the way to hand a server its secrets without argv. */
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /** Resolves true once the server answers; called until it does or the deadline passes. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Keep running after this Node process exits (`relforge stack up`). */
  detached?: boolean;
  fix: string;
}

export function tailOf(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL if the process is still there after the grace period. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  if (!isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone between the check and the kill.
  }
}

function waitForExit(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveExit();
    });
    child.kill('SIGTERM');
  });
}

export async function startServer(options: StartServerOptions): Promise<ServerProcess> {
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      detached: options.detached ?? false,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', log, log],
    });
  } finally {
    closeSync(log);
  }
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = signal ? `signal ${signal}` : `exit code ${code}`;
  });
  const spawnError = new Promise<Error>((resolveError) => child.once('error', resolveError));

  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  for (;;) {
    const failure = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
    if (failure) {
      throw new StackError(`${options.name} could not be started (${failure.message})`, { fix: options.fix });
    }
    if (exited) {
      throw new StackError(
        `${options.name} exited during start-up (${exited}); its log ends with:\n${tailOf(options.logFile)}`,
        {
          fix: options.fix,
        },
      );
    }
    if (await options.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      await waitForExit(child, 5_000);
      throw new StackError(
        `${options.name} did not become ready within ${options.readyTimeoutMs ?? 60_000} ms; its log ends with:\n${tailOf(options.logFile)}`,
        {
          fix: options.fix,
        },
      );
    }
  }
  if (options.detached) child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new StackError(`${options.name} has no process id`, { fix: options.fix });
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    stop: () => waitForExit(child, 10_000),
  };
}
