/** Which Temporal service the CLI talks to: RELFORGE_* variables, else the local stack, else the defaults. */
import { Client, Connection } from '@temporalio/client';
import { StackError } from '@relforge/errors';
import { readStackState } from '@relforge/stack';

export interface TemporalTarget {
  address: string;
  namespace: string;
  uiUrl?: string;
}

export function temporalTarget(): TemporalTarget {
  const stack = readStackState();
  return {
    address: process.env['RELFORGE_TEMPORAL_ADDRESS'] ?? stack?.temporal.address ?? '127.0.0.1:7233',
    namespace: process.env['RELFORGE_NAMESPACE'] ?? stack?.temporal.namespace ?? 'relforge',
    ...((process.env['RELFORGE_UI_URL'] ?? stack?.temporal.uiUrl)
      ? { uiUrl: process.env['RELFORGE_UI_URL'] ?? stack?.temporal.uiUrl }
      : {}),
  };
}

export async function connect(target: TemporalTarget): Promise<{ client: Client; close(): Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: target.address, connectTimeout: 5_000 });
  } catch (error) {
    throw new StackError(
      `cannot reach Temporal at ${target.address} (${error instanceof Error ? error.message : String(error)})`,
      {
        fix: 'start the local stack with `pnpm stack up`, or set RELFORGE_TEMPORAL_ADDRESS to your Temporal service',
        cause: error,
      },
    );
  }
  return { client: new Client({ connection, namespace: target.namespace }), close: () => connection.close() };
}
