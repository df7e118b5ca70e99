/**
 * The server's config as the server itself renders it from `config/production.yaml`
 * and the TEMPORAL_* variables (`temporal-server render-config`), so the checks
 * before a start read the very ports, files and databases the server will use.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { z } from 'zod';
import { StackError } from '@relforge/errors';
import { serverBinary } from '@relforge/server-process';
import { serverFlags } from './paths.js';

const run = promisify(execFile);

const tlsServer = z.object({
  certFile: z.string(),
  keyFile: z.string(),
  clientCaFiles: z.array(z.string()).nullable(),
  requireClientAuth: z.boolean(),
});

const rpc = z.object({
  grpcPort: z.number(),
  membershipPort: z.number(),
  httpPort: z.number().optional(),
  bindOnIP: z.string(),
});

const sqlStore = z.object({ connectAddr: z.string(), user: z.string(), databaseName: z.string() });

const renderedConfig = z.object({
  global: z.object({
    tls: z.object({ frontend: z.object({ server: tlsServer }), internode: z.object({ server: tlsServer }) }),
  }),
  persistence: z.object({
    defaultStore: z.string(),
    visibilityStore: z.string(),
    datastores: z.record(z.string(), z.object({ sql: sqlStore.nullable() })),
  }),
  services: z.record(z.string(), z.object({ rpc })),
});

export type ServerConfig = z.infer<typeof renderedConfig>;
export type SqlStore = z.infer<typeof sqlStore>;

export async function renderServerConfig(env: NodeJS.ProcessEnv): Promise<ServerConfig> {
  let stdout: string;
  try {
    ({ stdout } = await run(serverBinary('temporal-server'), [...serverFlags, 'render-config'], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    const detail = ((error as { stdout?: string }).stdout ?? (error as Error).message).trim().split('\n').at(-1);
    throw new StackError(`the Temporal server config could not be rendered: ${detail}`, {
      fix: 'check the TEMPORAL_* variables against infra/production/systemd/temporal-server.env.example',
    });
  }
  return renderedConfig.parse(parse(stdout));
}

export function sqlStoreOf(config: ServerConfig, store: string): SqlStore {
  const sql = config.persistence.datastores[store]?.sql;
  if (!sql) {
    throw new StackError(`the Temporal server config has no SQL datastore "${store}"`, {
      fix: 'start from infra/production/config/production.yaml, which keeps both stores on PostgreSQL',
    });
  }
  return sql;
}
