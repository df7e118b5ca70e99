import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { afterAll, describe, expect, it } from 'vitest';
import { StackError } from '@relforge/errors';
import { freePort } from '../src/index.js';
import { startNatsServer } from '../src/nats-server.js';
import type { ServerProcess } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-nats-'));
const running: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((server) => server.stop()));
  rmSync(dir, { recursive: true, force: true });
});

async function killHard(server: ServerProcess): Promise<void> {
  process.kill(server.pid, 'SIGKILL');
  await server.stop();
}

describe('the NATS server', () => {
  it('keeps what JetStream acknowledged through a SIGKILL and a restart on the same port and store', async () => {
    const options = { port: await freePort(), storeDir: join(dir, 'store'), logFile: join(dir, 'nats.log') };
    expect(options.port).not.toBe(4222);
    const first = await startNatsServer(options);
    running.push(first.process);
    const client = await connect({ servers: first.endpoint.url });
    const jsm = await jetstreamManager(client);
    await jsm.streams.add({ name: 'kept', subjects: ['kept.>'], storage: StorageType.File });
    const ack = await jetstream(client).publish('kept.one', 'acknowledged before the kill');
    await client.close();

    await killHard(first.process);
    const again = await startNatsServer(options);
    running.push(again.process);
    expect(again.endpoint.url).toBe(first.endpoint.url);
    const reader = await connect({ servers: again.endpoint.url });
    try {
      const stored = await (await jetstreamManager(reader)).streams.getMessage('kept', { seq: ack.seq });
      expect(stored?.string()).toBe('acknowledged before the kill');
    } finally {
      await reader.close();
    }
  });

  it('names a port already taken and the way to choose another', async () => {
    const taken = { port: await freePort(), storeDir: join(dir, 'taken'), logFile: join(dir, 'taken.log') };
    const holder = await startNatsServer(taken);
    running.push(holder.process);
    const second = startNatsServer({ ...taken, storeDir: join(dir, 'second') });
    await expect(second).rejects.toThrow(StackError);
    await expect(second).rejects.toThrow(`port ${taken.port} (NATS) is already in use on 127.0.0.1`);
  });
});
