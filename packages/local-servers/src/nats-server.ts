/**
 * The local NATS server with JetStream on file storage: the durable log of release events. Restarting it on the same
 * port and store folder keeps every event it acknowledged, which is what the fault tests rely on. (Debian's NATS may
 * already listen on 4222; Relforge never uses that port or that server.)
 */
import { mkdirSync } from 'node:fs';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { assertPortFree, serverBinary, startServer, type ServerProcess } from '@relforge/server-process';

export interface StartNatsOptions {
  port: number;
  /** JetStream's file store: kept across restarts. */
  storeDir: string;
  logFile: string;
  detached?: boolean;
  host?: string;
}

export interface NatsEndpoint {
  url: string;
}

/** Up means JetStream answers: the server accepts connections before its store is recovered. */
export async function jetStreamAnswers(url: string): Promise<boolean> {
  const connection = await connect({ servers: url, timeout: 1_000, reconnect: false });
  try {
    await (await jetstreamManager(connection, { timeout: 1_000 })).getAccountInfo();
    return true;
  } finally {
    await connection.close();
  }
}

export async function startNatsServer(
  options: StartNatsOptions,
): Promise<{ process: ServerProcess; endpoint: NatsEndpoint }> {
  const host = options.host ?? '127.0.0.1';
  await assertPortFree(options.port, { service: 'NATS', override: '--nats-port or RELFORGE_NATS_PORT' }, host);
  mkdirSync(options.storeDir, { recursive: true });
  const url = `nats://${host}:${options.port}`;
  const server = await startServer({
    name: 'NATS server (JetStream)',
    command: serverBinary('nats-server'),
    args: ['--addr', host, '--port', String(options.port), '--jetstream', '--store_dir', options.storeDir],
    logFile: options.logFile,
    detached: options.detached ?? false,
    ready: () => jetStreamAnswers(url),
    readyTimeoutMs: 30_000,
    fix: `check ${options.logFile}; rebuild with \`bash infra/nats/install.sh\` if the binary is broken`,
  });
  return { process: server, endpoint: { url } };
}
