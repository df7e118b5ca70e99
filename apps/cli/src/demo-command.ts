import { join } from 'node:path';
import { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { stackUp, stateDir, workflowUiUrl } from '@relforge/local-stack';
import type { SmokeResult } from '@relforge/smoke';
import { RelforgeProject, taskQueue } from '@relforge/temporal-names';
import { printStack, stackSettings, withStackOptions, type StackOptions } from './stack-command.js';
import { startWorkerProcess } from './worker-process.js';

/**
 * Until the release workflow lands, the demo proves the stack end to end: it
 * starts the servers, a worker process, and runs the smoke workflow on them.
 */
export function demoCommand(): Command {
  return withStackOptions(new Command('demo'))
    .description('start the local stack and a worker, and run a workflow on them')
    .action(async (options: StackOptions) => {
      const state = await stackUp(stackSettings(options));
      printStack(state);
      const worker = startWorkerProcess(state.temporal, join(stateDir(), 'logs', 'worker.log'));
      const connection = await Connection.connect({ address: state.temporal.address });
      try {
        const client = new Client({ connection, namespace: state.temporal.namespace });
        const workflowId = `smoke/demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
        const handle = await client.workflow.start('smoke', {
          taskQueue,
          workflowId,
          args: [{ message: 'hello from relforge demo' }],
          typedSearchAttributes: [{ key: RelforgeProject, value: 'smoke' }],
        });
        console.log(`started ${workflowId}; waiting for the worker...`);
        const result = (await handle.result()) as SmokeResult;
        console.log(`completed: sha256("${result.message}") = ${result.sha256} (computed by worker pid ${result.workerPid})`);
        console.log(`Web UI: ${workflowUiUrl(state.temporal, workflowId)}`);
        console.log('the stack keeps running for the Web UI; stop it with: pnpm stack down');
      } finally {
        await connection.close();
        await worker.stop();
      }
    });
}
