import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { freePort } from '@relforge/local-servers';
import { proceedSignal, smokeTaskQueue as taskQueue, smokeWorkflowsPath, type SmokeResult } from '@relforge/smoke';
import * as smokeActivities from '@relforge/smoke/activities';
import { RelforgeProject } from '@relforge/temporal-names';
import { startDevServer, testStack } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The smoke workflow on its own queue: the server, the SDK and a worker process wired together, nothing released. */
const smokeWorker = (connection: NativeConnection, namespace: string) =>
  Worker.create({ connection, namespace, taskQueue, workflowBundle: bundle, activities: smokeActivities });

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let bundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  bundle = await bundleWorkflowCode({
    workflowsPath: smokeWorkflowsPath,
    logger: { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} },
  });
});

describe('a worker on the shared dev server', () => {
  let connection: Connection;
  let nativeConnection: NativeConnection;
  let client: Client;
  beforeAll(async () => {
    const { temporal } = testStack();
    connection = await Connection.connect({ address: temporal.address });
    nativeConnection = await NativeConnection.connect({ address: temporal.address });
    client = new Client({ connection, namespace: temporal.namespace });
  });
  afterAll(async () => {
    await connection?.close();
    await nativeConnection?.close();
  });

  it('runs a workflow whose activity executes on the worker and returns its result', async () => {
    const worker = await smokeWorker(nativeConnection, testStack().temporal.namespace);
    const message = `smoke ${randomUUID()}`;
    const result = (await worker.runUntil(
      client.workflow.execute('smoke', { taskQueue, workflowId: `smoke/${randomUUID()}`, args: [{ message }] }),
    )) as SmokeResult;
    expect(result).toEqual({ message, sha256: sha256(message), workerPid: process.pid });
  });

  it('serves the Web UI, whose API lists the workflow by its search attribute', async () => {
    const { temporal } = testStack();
    const page = await fetch(temporal.uiUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<html/i);

    const project = `ui-${randomUUID().slice(0, 8)}`;
    const workflowId = `smoke/${project}`;
    const worker = await smokeWorker(nativeConnection, temporal.namespace);
    await worker.runUntil(
      client.workflow.execute('smoke', {
        taskQueue,
        workflowId,
        args: [{ message: project }],
        typedSearchAttributes: [{ key: RelforgeProject, value: project }],
      }),
    );

    // Visibility is eventually consistent: the UI lists the workflow once the server has indexed it.
    const query = encodeURIComponent(`RelforgeProject="${project}"`);
    const url = `${temporal.uiUrl}/api/v1/namespaces/${temporal.namespace}/workflows?query=${query}`;
    let listed: string[] = [];
    for (let attempt = 0; attempt < 50 && listed.length === 0; attempt++) {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { executions?: { execution: { workflowId: string } }[] };
      listed = (body.executions ?? []).map((execution) => execution.execution.workflowId);
      if (listed.length === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(listed).toEqual([workflowId]);
  });
});

describe('a dev server restarted on its DB file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-restart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('still has a workflow started before the restart, which then completes', async () => {
    const dbFilename = join(dir, 'temporal.db');
    const port = await freePort();
    const workflowId = `smoke/restart-${randomUUID()}`;

    const first = await startDevServer({ dbFilename, port });
    let runId: string;
    try {
      const handle = await first.env.client.workflow.start('smoke', {
        taskQueue,
        workflowId,
        args: [{ message: 'survives a restart', waitForProceed: true }],
      });
      runId = handle.firstExecutionRunId;
    } finally {
      await first.teardown();
    }

    const second = await startDevServer({ dbFilename, port });
    try {
      const handle = second.env.client.workflow.getHandle(workflowId);
      expect((await handle.describe()).runId).toBe(runId);
      const connection = await NativeConnection.connect({ address: second.address });
      try {
        const worker = await smokeWorker(connection, second.namespace);
        await handle.signal(proceedSignal);
        const result = (await worker.runUntil(handle.result())) as SmokeResult;
        expect(result.sha256).toBe(sha256('survives a restart'));
      } finally {
        await connection.close();
      }
    } finally {
      await second.teardown();
    }
  });
});
