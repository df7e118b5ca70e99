/**
 * A NATS server with JetStream of the calling suite's own, on a free port and a scratch store (never Debian's on
 * 4222): it can be SIGKILLed and started again on the same port and store, as the fault tests do mid-release.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNatsServer, type ServerProcess } from '@relforge/local-servers';

export interface TestNats {
  url: string;
  /** SIGKILL: nothing is flushed or closed cleanly. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store after a kill. */
  restart(): Promise<void>;
  /** Stops it and removes its store. */
  teardown(): Promise<void>;
}

export async function startTestNats(): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-test-nats-'));
  const options = { port: await freePort(), storeDir: join(dir, 'jetstream'), logFile: join(dir, 'nats.log') };
  let server: ServerProcess = (await startNatsServer(options)).process;
  return {
    url: `nats://127.0.0.1:${options.port}`,
    async kill() {
      process.kill(server.pid, 'SIGKILL');
      await server.stop();
    },
    async restart() {
      server = (await startNatsServer(options)).process;
    },
    async teardown() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
