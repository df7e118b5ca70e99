/**
 * What must hold before the production server starts, checked on the config it
 * would run with: its certificates present, in date and signed by the CA it
 * trusts; PostgreSQL reachable with both databases at the schema this server
 * version needs; every port it binds free. Each failure names its cause and fix,
 * and nothing is started. systemd runs it as ExecStartPre; the test launcher
 * calls it too.
 */
import { InputError, StackError } from '@relforge/errors';
import { assertPortFree } from '@relforge/server-process';
import { assertCertificate, assertCertificateChain } from './certificates.js';
import { assertReachable, describeServer, schemaVersion, type PostgresServer } from './database.js';
import { compareVersions, expectedSchemaVersion, type SchemaKind } from './paths.js';
import { renderServerConfig, sqlStoreOf, type ServerConfig } from './server-config.js';

const databaseSetting = 'TEMPORAL_DB_HOST, TEMPORAL_DB_PORT, TEMPORAL_DB_USER and TEMPORAL_DB_PASSWORD';

export async function preflight(env: NodeJS.ProcessEnv): Promise<ServerConfig> {
  const config = await renderServerConfig(env);
  checkCertificates(config);
  await checkDatabases(config, env['TEMPORAL_DB_PASSWORD']);
  await checkPorts(config);
  return config;
}

function checkCertificates(config: ServerConfig): void {
  const { frontend, internode } = config.global.tls;
  for (const [name, server] of [
    ['frontend', frontend.server],
    ['internode', internode.server],
  ] as const) {
    if (!server.requireClientAuth) {
      throw new InputError(`the Temporal ${name} does not require client certificates`, {
        fix: 'keep requireClientAuth: true in infra/production/config/production.yaml: mutual TLS is what admits clients',
      });
    }
  }
  // Internode trusts the CA that signed the server's own certificate, which it also presents as a client.
  assertCertificateChain(
    {
      path: internode.server.certFile,
      setting: { what: 'the server certificate', variable: 'TEMPORAL_TLS_SERVER_CERT' },
    },
    { path: internode.server.keyFile, setting: { what: 'the server key', variable: 'TEMPORAL_TLS_SERVER_KEY' } },
    { path: internode.server.clientCaFiles?.[0] ?? '', setting: { what: 'the CA', variable: 'TEMPORAL_TLS_CA' } },
  );
  assertCertificate(frontend.server.clientCaFiles?.[0] ?? '', {
    what: 'the CA of client certificates',
    variable: 'TEMPORAL_TLS_CLIENT_CA (or TEMPORAL_TLS_CA)',
  });
}

async function checkDatabases(config: ServerConfig, password: string | undefined): Promise<void> {
  const stores: [SchemaKind, string][] = [
    ['temporal', config.persistence.defaultStore],
    ['visibility', config.persistence.visibilityStore],
  ];
  let reached: string | undefined;
  for (const [kind, store] of stores) {
    const sql = sqlStoreOf(config, store);
    const server = postgresServer(sql.connectAddr, sql.user, password);
    if (reached !== describeServer(server)) {
      await assertReachable(server, databaseSetting);
      reached = describeServer(server);
    }
    const expected = expectedSchemaVersion(kind);
    if (!expected) {
      throw new StackError('the Temporal schemas are not installed', {
        fix: 'run `bash infra/production/install.sh`',
      });
    }
    const found = await schemaVersion(server, sql.databaseName);
    if (!found) {
      throw new StackError(`database ${sql.databaseName} on ${describeServer(server)} has no Temporal ${kind} schema`, {
        fix: 'create it with `bash infra/production/schema.sh setup` (same TEMPORAL_DB_* variables), then start again',
      });
    }
    if (compareVersions(found, expected) < 0) {
      throw new StackError(
        `database ${sql.databaseName} holds ${kind} schema ${found}; this server needs ${expected}`,
        { fix: 'upgrade it with `bash infra/production/schema.sh update`, then start again' },
      );
    }
  }
}

function postgresServer(connectAddr: string, user: string, password: string | undefined): PostgresServer {
  const separator = connectAddr.lastIndexOf(':');
  return {
    host: connectAddr.slice(0, separator),
    port: Number(connectAddr.slice(separator + 1)),
    user,
    ...(password ? { password } : {}),
  };
}

async function checkPorts(config: ServerConfig): Promise<void> {
  for (const [service, { rpc }] of Object.entries(config.services)) {
    const prefix = `TEMPORAL_${service.toUpperCase().replaceAll('-', '_')}`;
    const ports: [string, number | undefined, string][] = [
      ['gRPC', rpc.grpcPort, `${prefix}_PORT`],
      ['membership', rpc.membershipPort, `${prefix}_MEMBERSHIP_PORT`],
      ['HTTP', rpc.httpPort, `${prefix}_HTTP_PORT`],
    ];
    for (const [kind, port, variable] of ports) {
      if (!port) continue;
      await assertPortFree(port, { service: `Temporal ${service} ${kind}`, override: variable }, rpc.bindOnIP);
    }
  }
}
