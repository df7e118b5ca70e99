/** Port checks done before a server starts, so a clash is reported by name instead of as a crash. */
import { createServer } from 'node:net';
import { StackError } from '@relforge/errors';

function listenOnce(port: number, host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolvePort(bound));
    });
  });
}

/**
 * A port nothing listens on right now, picked below the kernel's ephemeral
 * range (32768+ here). Ports the kernel hands out for port 0 are also handed
 * to outgoing connections and to the dev server's own internal listeners, so
 * one picked there can be taken again before the server binds it.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      return await listenOnce(port, host);
    } catch {
      // Taken: try another.
    }
  }
  return listenOnce(0, host);
}

export interface PortOwner {
  /** What would listen there, e.g. "Temporal gRPC". */
  service: string;
  /** How a person picks another port, e.g. "--temporal-port or RELFORGE_TEMPORAL_PORT". */
  override: string;
}

export async function assertPortFree(port: number, owner: PortOwner, host = '127.0.0.1'): Promise<void> {
  try {
    await listenOnce(port, host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StackError(`port ${port} (${owner.service}) is already in use on ${host}`, {
        fix: `stop whatever listens there (\`ss -ltnp 'sport = :${port}'\` shows it) or choose another port with ${owner.override}`,
      });
    }
    throw error;
  }
}
