/** The worker as people run it, for tests that kill it: its own process, configured by its environment. */
import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import {
  testStack,
  workerProcess as testkitWorkerProcess,
  type ExampleProject,
  type WorkerProcessOptions as TestkitWorkerOptions,
} from '@relforge/testkit';

export { killHard, stopGracefully, until } from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { afterAll, beforeAll } from 'vitest';

/** A client of the suite's Temporal server, connected before the tests of the calling file or block and closed after. */
export function suiteClient(): () => Client {
  let connection: Connection | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    connection = await Connection.connect({ address: testStack().temporal.address });
    client = new Client({ connection, namespace: testStack().temporal.namespace });
  });
  afterAll(async () => {
    await connection?.close();
  });
  return () => {
    if (!client) throw new Error('the suite client is connected in beforeAll: use it inside tests');
    return client;
  };
}

export type WorkerProcessOptions = Omit<TestkitWorkerOptions, 'main'>;

/** This package's worker entry, run as its own process. */
export function workerProcess(example: ExampleProject, options: WorkerProcessOptions = {}): ChildProcess {
  return testkitWorkerProcess(example, { main: workerMain, ...options });
}
