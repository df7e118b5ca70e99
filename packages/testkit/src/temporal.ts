/**
 * The Temporal dev server for tests, started through @temporalio/testing on the
 * binary built by infra/temporal/install.sh. Pointing it at an existing path is
 * what keeps the SDK from ever downloading a server.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { freePort, serverBinary } from '@relforge/local-servers';
import { relforgeSearchAttributes } from '@relforge/temporal-names';

export interface DevServerOptions {
  namespace?: string;
  /** Persist to this SQLite file, so the server can be stopped and started on the same history. */
  dbFilename?: string;
  port?: number;
  uiPort?: number;
  /** Server settings (`--dynamic-config-value key=value`), e.g. limits a test means to go past. */
  dynamicConfig?: Record<string, string | number | boolean>;
}

export interface DevServer {
  env: TestWorkflowEnvironment;
  address: string;
  namespace: string;
  uiUrl: string;
  teardown(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  try {
    return await startOnce(options);
  } catch (error) {
    // A port picked free can still be taken before the server binds it; with ports of our choosing, pick again once.
    if (options.port !== undefined || options.uiPort !== undefined) throw error;
    return startOnce(options);
  }
}

async function startOnce(options: DevServerOptions): Promise<DevServer> {
  const namespace = options.namespace ?? 'default';
  const port = options.port ?? (await freePort());
  const uiPort = options.uiPort ?? (await freePort());
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: serverBinary('temporal') },
      ip: '127.0.0.1',
      port,
      ui: true,
      uiPort,
      namespace,
      searchAttributes: [...relforgeSearchAttributes],
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      extraArgs: Object.entries(options.dynamicConfig ?? {}).flatMap(([key, value]) => [
        '--dynamic-config-value',
        `${key}=${JSON.stringify(value)}`,
      ]),
    },
  });
  return {
    env,
    address: `127.0.0.1:${port}`,
    namespace,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    teardown: () => env.teardown(),
  };
}
