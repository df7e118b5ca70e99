/**
 * A change of state the machine does not list is a bug in the workflow: it fails the workflow task (Temporal retries
 * it, the Web UI shows it) and never the release, which stays running for a fixed worker to take on.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import { taskQueue } from '@relforge/temporal-names';
import { startDevServer, until, type DevServer } from '@relforge/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { quietLogger } from '../harness.js';

let server: DevServer;
let native: NativeConnection;
beforeAll(async () => {
  server = await startDevServer();
  native = await NativeConnection.connect({ address: server.address });
});
afterAll(async () => {
  await native?.close();
  await server?.teardown();
});

it('refuses an illegal transition by failing the workflow task, leaving the release running', async () => {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./illegal-transition-workflow.ts', import.meta.url)),
    logger: quietLogger,
  });
  const worker = await Worker.create({
    connection: native,
    namespace: server.namespace,
    taskQueue,
    workflowBundle,
    activities: {},
  });
  const { client } = server.env;
  const handle = await client.workflow.start('succeedsWhilePreparing', {
    taskQueue,
    workflowId: 'release/buggy/1.0.0',
    args: [{ project: 'buggy', version: '1.0.0' }],
  });
  const failed = await worker.runUntil(
    until('the workflow task to fail', async () => {
      const history = await handle.fetchHistory();
      return (
        history.events?.find((event) => event.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes ??
        undefined
      );
    }),
  );
  expect(failed.failure?.message).toBe(
    'release buggy 1.0.0 cannot go from preparing to succeeded: it may go to running, failed (the release state machine in @relforge/release-states)',
  );
  expect((await handle.describe()).status.name).toBe('RUNNING');
  await handle.terminate('the test is done with it');
}, 60_000);
