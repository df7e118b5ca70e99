/** A client of the suite's Temporal server, for test files that start releases in processes of their own. */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll } from 'vitest';
import { testStack } from './fixtures.js';

/** Connected before the tests of the calling file or block and closed after. */
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
