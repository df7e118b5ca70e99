/** The local stack's worker: a background process with the stack's credentials, its output in a log file. */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '@relforge/errors';
import { isAlive, stateDir, stopPid, tailOf, workspaceRoot } from '@relforge/local-servers';
import { connectClient } from '@relforge/temporal-connection';
import { recordWorker, workerEnvironment, workerIsRunning, type StackState } from '@relforge/stack';
import { workerMain } from '@relforge/worker';
import { liveWorkers } from '../workers.js';

/** What the stack releases: the bundled example, unless `stack up --config` names other projects. */
export const exampleConfig = () => join(workspaceRoot(), 'examples', 'hello', 'relforge.yaml');

/**
 * Starts the stack's worker unless it runs. It builds every target of its configs on this machine (a local stack
 * has no other builders), so nothing waits for a builder.
 */
export async function ensureStackWorker(state: StackState, configs: string[]): Promise<StackState> {
  if (workerIsRunning(state)) return state;
  const env = { ...process.env, ...workerEnvironment(state) };
  const logFile = join(stateDir(), 'logs', 'worker.log');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [workerMain], {
    env: {
      ...env,
      RELFORGE_PROJECTS: configs.join(','),
      RELFORGE_WORK_DIR: join(stateDir(), 'work'),
      RELFORGE_BUILDS: 'all',
    },
    stdio: ['ignore', log, log],
    detached: true,
  });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start the worker (${workerMain})`);
  await untilPolling(state, child.pid, logFile);
  return recordWorker(state, { pid: child.pid, logFile, configs });
}

/** Up is up only once the worker polls; one that exits (a broken config) is reported with its log's last lines. */
async function untilPolling(state: StackState, pid: number, logFile: string): Promise<void> {
  const { address, namespace } = state.temporal;
  const { client, close } = await connectClient(
    { address, namespace },
    'run `relforge stack down`, then `relforge stack up`',
  );
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) {
        throw new StackError(`the stack's worker exited at start:\n${tailOf(logFile, 5)}`, {
          fix: `read ${logFile}, fix what it names, then run \`relforge stack up\` again`,
        });
      }
      const workers = await liveWorkers(client, namespace);
      if (workers.some((identity) => identity.startsWith(`${pid}@`))) return;
      await sleep(250);
    }
    await stopPid(pid);
    throw new StackError(`the stack's worker did not start polling within 60 s`, { fix: `read ${logFile}` });
  } finally {
    await close();
  }
}
