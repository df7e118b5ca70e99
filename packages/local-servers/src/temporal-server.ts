/**
 * The Temporal dev server for people (`relforge stack up`): persistent on a DB
 * file, Web UI on, Relforge's namespace and search attributes registered. Tests
 * start theirs through @temporalio/testing instead (see @relforge/testkit).
 */
import { Connection } from '@temporalio/client';
import { relforgeSearchAttributes } from '@relforge/temporal-names';
import { assertPortFree, serverBinary, startServer, type ServerProcess } from '@relforge/server-process';

export interface StartTemporalOptions {
  port: number;
  uiPort: number;
  namespace: string;
  dbFile: string;
  logFile: string;
  detached?: boolean;
  host?: string;
}

export interface TemporalEndpoint {
  address: string;
  namespace: string;
  uiUrl: string;
}

/** `--search-attribute Name=Keyword` for each Relforge key, as the dev server expects them. */
export function searchAttributeArgs(): string[] {
  return relforgeSearchAttributes.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
}

export async function namespaceIsServed(address: string, namespace: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 1_000 });
  try {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  } finally {
    await connection.close();
  }
}

export async function startTemporalServer(
  options: StartTemporalOptions,
): Promise<{ process: ServerProcess; endpoint: TemporalEndpoint }> {
  const host = options.host ?? '127.0.0.1';
  await assertPortFree(
    options.port,
    { service: 'Temporal gRPC', override: '--temporal-port or RELFORGE_TEMPORAL_PORT' },
    host,
  );
  await assertPortFree(options.uiPort, { service: 'Temporal Web UI', override: '--ui-port or RELFORGE_UI_PORT' }, host);
  const address = `${host}:${options.port}`;
  const server = await startServer({
    name: 'Temporal dev server',
    command: serverBinary('temporal'),
    args: [
      'server',
      'start-dev',
      '--ip',
      host,
      '--port',
      String(options.port),
      '--ui-port',
      String(options.uiPort),
      '--db-filename',
      options.dbFile,
      '--namespace',
      options.namespace,
      '--log-level',
      'warn',
      ...searchAttributeArgs(),
    ],
    logFile: options.logFile,
    detached: options.detached ?? false,
    ready: () => namespaceIsServed(address, options.namespace),
    readyTimeoutMs: 60_000,
    fix: `check ${options.logFile}; if the DB file ${options.dbFile} is damaged, move it away and start again`,
  });
  return {
    process: server,
    endpoint: { address, namespace: options.namespace, uiUrl: `http://${host}:${options.uiPort}` },
  };
}
