/**
 * The production Temporal server for tests and the bench: the same binary,
 * config, schema script, certificate script and pre-start checks as a real
 * deployment, on databases and ports of its own so suites never clash. A
 * failed start undoes every step before it; `stop()` drops the databases.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { tlsConfig, tlsVariables, type TemporalSettings } from '@relforge/temporal-connection';
import { InputError, StackError } from '@relforge/errors';
import { freePort, serverBinary, startServer, type ServerProcess } from '@relforge/server-process';
import { assertReachable, dropDatabase, parseDatabaseUrl, redactPassword, type PostgresServer } from './database.js';
import { registerRelforgeNamespace } from './namespace.js';
import { certsScript, dynamicConfigFile, schemaScript, serverArgs } from './paths.js';
import { preflight } from './preflight.js';

const run = promisify(execFile);

export interface ProductionTemporalOptions {
  /** PostgreSQL to create the databases on; default RELFORGE_TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432. */
  databaseUrl?: string;
  namespace?: string;
  /** Starts the names of its databases and folder, so a person can tell whose they are; lowercase, default "relforge". */
  label?: string;
  /** History shards, fixed for the life of the databases; default 4, enough for a test and a 2-core bench. */
  historyShards?: number;
  /** The frontend's port; free ports are picked for it and for every other port the server binds when unset. */
  frontendPort?: number;
}

/** A client's certificate and key, the CA that signed the server's, and the name in the server's certificate. */
export type TlsFiles = Required<NonNullable<TemporalSettings['tls']>>;

export interface ProductionTemporal {
  /** The frontend, `127.0.0.1:PORT`. */
  address: string;
  namespace: string;
  /** The worker's client certificate; `cliTls` is the CLI's, from the same CA. */
  tls: TlsFiles;
  cliTls: TlsFiles;
  /** Where certs.sh made the CA and the certificates; more clients can be made there. */
  certsDir: string;
  databases: { temporal: string; visibility: string };
  logFile: string;
  /** The settings a Relforge process connects with, as the worker's (default) or the CLI's client. */
  settings(as?: 'worker' | 'cli'): TemporalSettings;
  /** The same as RELFORGE_TEMPORAL_* variables, for a worker or CLI process. */
  env(as?: 'worker' | 'cli'): Record<string, string>;
  /** Stops the server and starts it again on the same databases and ports. */
  restart(): Promise<void>;
  /** Stops the server, drops its databases and removes its files. */
  stop(): Promise<void>;
}

const serverName = 'localhost';
/** Every port production.yaml binds, by the variable that sets it. */
const portVariables = ['FRONTEND', 'HISTORY', 'MATCHING', 'WORKER'].flatMap((service) => [
  `TEMPORAL_${service}_PORT`,
  `TEMPORAL_${service}_MEMBERSHIP_PORT`,
]);

export async function startProductionTemporal(options: ProductionTemporalOptions = {}): Promise<ProductionTemporal> {
  const databaseUrl =
    options.databaseUrl ?? process.env['RELFORGE_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432';
  const postgres = parseDatabaseUrl(databaseUrl);
  const namespace = options.namespace ?? 'relforge';
  const label = options.label ?? 'relforge';
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(label)) {
    throw new InputError(`the label "${label}" cannot start a database name`, {
      fix: 'use lowercase letters, digits and underscores, starting with a letter (at most 31)',
    });
  }
  const undo: (() => Promise<void>)[] = [];
  const undoAll = async () => {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    undo.length = 0;
  };
  try {
    await assertReachable(postgres, `the database URL (${redactPassword(databaseUrl)})`);
    const dir = mkdtempSync(join(tmpdir(), `${label}-temporal-`));
    undo.push(async () => rmSync(dir, { recursive: true, force: true }));
    const certsDir = join(dir, 'certs');
    await script(certsScript, [certsDir], {});

    const id = randomBytes(4).toString('hex');
    const databases = { temporal: `${label}_${id}`, visibility: `${label}_${id}_visibility` };
    undo.push(async () => {
      await dropDatabase(postgres, databases.temporal);
      await dropDatabase(postgres, databases.visibility);
    });
    const env: NodeJS.ProcessEnv = {
      ...databaseEnv(postgres, databases),
      TEMPORAL_TLS_CA: join(certsDir, 'ca.pem'),
      TEMPORAL_TLS_SERVER_CERT: join(certsDir, 'server.pem'),
      TEMPORAL_TLS_SERVER_KEY: join(certsDir, 'server.key'),
      TEMPORAL_TLS_SERVER_NAME: serverName,
      TEMPORAL_BIND_IP: '127.0.0.1',
      TEMPORAL_DYNAMIC_CONFIG_FILE: dynamicConfigFile,
      TEMPORAL_NUM_HISTORY_SHARDS: String(options.historyShards ?? 4),
    };
    await script(schemaScript, ['setup'], env);

    const tls = clientTls(certsDir, 'worker');
    const logFile = join(dir, 'temporal-server.log');
    let address = '';
    let server: ServerProcess | undefined;
    // Free ports can be taken between the pick and the bind; with ports of our own choosing, pick again once.
    for (let attempt = 1; !server; attempt++) {
      Object.assign(env, await pickPorts(options.frontendPort));
      address = `127.0.0.1:${env['TEMPORAL_FRONTEND_PORT']}`;
      await preflight({ ...process.env, ...env });
      try {
        server = await startTemporalServer(env, address, tls, logFile);
      } catch (error) {
        if (attempt >= 2 || options.frontendPort !== undefined) throw error;
      }
    }
    let running: ServerProcess = server;
    undo.push(() => running.stop());
    await withConnection(address, tls, (connection) => registerRelforgeNamespace(connection, { namespace }));

    return {
      address,
      namespace,
      tls,
      cliTls: clientTls(certsDir, 'cli'),
      certsDir,
      databases,
      logFile,
      settings: (as = 'worker') => ({ address, namespace, tls: as === 'worker' ? tls : clientTls(certsDir, 'cli') }),
      env: (as = 'worker') => {
        const files = as === 'worker' ? tls : clientTls(certsDir, 'cli');
        return {
          RELFORGE_TEMPORAL_ADDRESS: address,
          RELFORGE_NAMESPACE: namespace,
          [tlsVariables.caFile]: files.caFile,
          [tlsVariables.certFile]: files.certFile,
          [tlsVariables.keyFile]: files.keyFile,
          [tlsVariables.serverName]: files.serverName,
        };
      },
      restart: async () => {
        await running.stop();
        running = await startTemporalServer(env, address, tls, logFile);
        await withConnection(address, tls, (connection) => registerRelforgeNamespace(connection, { namespace }));
      },
      stop: undoAll,
    };
  } catch (error) {
    await undoAll();
    throw error;
  }
}

function clientTls(certsDir: string, name: string): TlsFiles {
  return {
    caFile: join(certsDir, 'ca.pem'),
    certFile: join(certsDir, `${name}.pem`),
    keyFile: join(certsDir, `${name}.key`),
    serverName,
  };
}

/** The TEMPORAL_DB_* variables that schema.sh and production.yaml read. */
function databaseEnv(postgres: PostgresServer, databases: ProductionTemporal['databases']): NodeJS.ProcessEnv {
  return {
    TEMPORAL_DB_HOST: postgres.host,
    TEMPORAL_DB_PORT: String(postgres.port),
    TEMPORAL_DB_USER: postgres.user,
    TEMPORAL_DB_PASSWORD: postgres.password ?? '',
    TEMPORAL_DB_NAME: databases.temporal,
    TEMPORAL_VISIBILITY_DB_NAME: databases.visibility,
  };
}

async function pickPorts(frontendPort: number | undefined): Promise<Record<string, string>> {
  const ports = new Set<number>(frontendPort === undefined ? [] : [frontendPort]);
  while (ports.size < portVariables.length) ports.add(await freePort());
  return Object.fromEntries(portVariables.map((variable, index) => [variable, String([...ports][index])]));
}

async function script(path: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  try {
    await run('bash', [path, ...args], { env: { ...process.env, ...env }, timeout: 120_000 });
  } catch (error) {
    const stderr = ((error as { stderr?: string }).stderr ?? '').trim();
    const last = stderr
      .split('\n')
      .at(-1)
      ?.replace(/^relforge (infra|certs): /, '');
    throw new StackError(`${path} ${args.join(' ')} failed: ${last || (error as Error).message}`, {
      fix: 'run the same command by hand to see its full output',
    });
  }
}

function startTemporalServer(env: NodeJS.ProcessEnv, address: string, tls: TlsFiles, logFile: string) {
  return startServer({
    name: 'Temporal server (PostgreSQL)',
    command: serverBinary('temporal-server'),
    args: serverArgs,
    env,
    logFile,
    ready: () =>
      withConnection(address, tls, async (connection) => !!(await connection.workflowService.getSystemInfo({}))),
    readyTimeoutMs: 90_000,
    fix: `check ${logFile}`,
  });
}

async function withConnection<T>(
  address: string,
  tls: TlsFiles,
  use: (connection: Connection) => Promise<T>,
): Promise<T> {
  const connection = await Connection.connect({
    address,
    tls: tlsConfig({ address, namespace: 'temporal-system', tls }),
    connectTimeout: 2_000,
  });
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}
