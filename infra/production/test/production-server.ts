/**
 * One production server per test file, and the connections a test needs to it:
 * a client and an in-process worker over mutual TLS with the certificates the
 * launcher made.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { type ExampleProject } from '@relforge/testkit';
import { buildTargets, loadProjectConfig } from '@relforge/config';
import { createRelforgeWorker, workflowsPath, type RelforgeWorker } from '@relforge/worker';
import { afterAll, beforeAll } from 'vitest';
import { tlsConfig } from '@relforge/temporal-connection';
import { startProductionTemporal, type ProductionTemporal } from '@relforge/production-temporal';

export interface ProductionSuite {
  server: ProductionTemporal;
  /** The database password the server was given (PostgreSQL here trusts loopback and ignores it): a secret to look for. */
  databasePassword: string;
  client: Client;
  /** A worker in this process for the example project, on the worker's certificate; run it with `runUntil`. */
  worker(example: ExampleProject): Promise<RelforgeWorker>;
}

const quietLogger = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };

/** Started before the file's tests, stopped (databases dropped) after them. */
export function productionSuite(): () => ProductionSuite {
  let suite: ProductionSuite | undefined;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const databasePassword = `pw-${randomBytes(12).toString('hex')}`;
    const bundling = bundleWorkflowCode({ workflowsPath, logger: quietLogger }) as Promise<WorkflowBundleWithSourceMap>;
    const server = await startProductionTemporal({
      databaseUrl: `postgres://postgres:${databasePassword}@127.0.0.1:5432`,
    });
    const open: { connection?: Connection; native?: NativeConnection } = {};
    // Set before anything else can fail: the server goes whatever the connections do, even a worker left running.
    close = async () => {
      try {
        await Promise.allSettled([open.connection?.close(), open.native?.close()]);
      } finally {
        await server.stop();
      }
    };
    const bundle = await bundling;
    const connection = await Connection.connect({ address: server.address, tls: tlsConfig(server.settings('cli')) });
    open.connection = connection;
    const native = await NativeConnection.connect({ address: server.address, tls: tlsConfig(server.settings()) });
    open.native = native;
    suite = {
      server,
      databasePassword,
      client: new Client({ connection, namespace: server.namespace }),
      worker: async (example) =>
        createRelforgeWorker({
          connection: native,
          // One worker builds every platform of the example, as a single-machine deployment would.
          builds: buildTargets(await loadProjectConfig(example.configPath, example.env)),
          namespace: server.namespace,
          workflowBundle: bundle,
          release: {
            projects: new Map([[example.project, example.configPath]]),
            workRoot: example.workRoot,
            env: example.env,
          },
        }),
    };
  }, 180_000);
  afterAll(async () => {
    await close?.();
  });
  return () => {
    if (!suite) throw new Error('the production server starts in beforeAll: use it inside tests');
    return suite;
  };
}
