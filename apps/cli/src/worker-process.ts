/** A worker as a child process, for commands that need one for the length of a run. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { once } from 'node:events';
import { workerMain } from '@relforge/worker';

export interface WorkerProcess {
  child: ChildProcess;
  stop(): Promise<void>;
}

export function startWorkerProcess(env: Record<string, string>, logFile: string): WorkerProcess {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [workerMain], { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  closeSync(log);
  return {
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
