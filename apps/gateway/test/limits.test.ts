/**
 * What an unauthenticated client can do to the gateway, on real processes (the gateway its own process, reading a
 * NATS JetStream of this suite's, on the Temporal dev server): a flood of snapshot reads and WebSocket opens leaves
 * no consumer on the events' stream and the board works after it; one client address is held to its request rate and
 * its sockets, refused with 429, a fix and Retry-After; a sequence past what a double holds is refused before the
 * upgrade; and connections that send their request too slowly are closed while WebSockets and a 25 MB delivery are
 * not. The flood comes from several loopback addresses (127.0.0.x), as from several clients.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import WebSocket from 'ws';
import { patchBetween } from '@relforge/release-events';
import { JetStreamEventLog, streamName } from '@relforge/release-events/jetstream';
import {
  createExampleProject,
  startTestNats,
  testStack,
  until,
  type ExampleProject,
  type TestNats,
} from '@relforge/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  clientAddresses as clients,
  inParallel,
  isOpen,
  logRelease,
  openEvents,
  send,
  tally,
  type Answer,
  type OpenSocket,
} from './clients.js';
import { newSecret, startGateway, type RunningGateway } from './gateway-process.js';

let nats: TestNats;
let log: JetStreamEventLog;
let connection: NatsConnection;
let jsm: JetStreamManager;
let example: ExampleProject;
let gateway: RunningGateway | undefined;
const secret = newSecret();

beforeAll(async () => {
  nats = await startTestNats();
  log = await JetStreamEventLog.connect(nats.url, { name: 'relforge-limits-test' });
  connection = await connect({ servers: nats.url });
  jsm = await jetstreamManager(connection);
});

afterEach(async () => {
  await gateway?.stop();
  gateway = undefined;
});

afterAll(async () => {
  await connection?.close();
  await log?.close();
  await nats?.teardown();
});

const namespace = () => testStack().temporal.namespace;
const consumerCount = async () => (await jsm.streams.info(streamName(namespace()))).state.consumer_count;

/** The test's example project, and a release of it with a log of five events, as a worker writes it. */
async function loggedRelease() {
  // Per test: the example project lives as long as its test.
  example = await createExampleProject();
  return logRelease(log, example.project, namespace());
}

async function limitedGateway(env: Record<string, string> = {}): Promise<RunningGateway> {
  gateway = await startGateway(example, { secret, env: { RELFORGE_NATS_URL: nats.url, ...env } });
  return gateway;
}

describe('a flood of board reads', () => {
  it('leaves no consumer on the stream after 1,200 snapshots and 1,200 WebSockets, and the board, its WebSocket and read() work after it', async () => {
    const { ref, states } = await loggedRelease();
    // Raised so the whole flood reaches the event log: the consumers are what this test counts.
    const board = await limitedGateway({
      RELFORGE_GATEWAY_REQUESTS_PER_MINUTE: '100000',
      RELFORGE_GATEWAY_SOCKETS_PER_CLIENT: '10000',
    });
    const snapshotUrl = `${board.url}/api/releases/${ref.project}/${ref.version}`;
    expect((await send(snapshotUrl)).status).toBe(200);
    const before = await consumerCount();

    const snapshots = await inParallel(1_200, 40, async (index) => {
      const answer = await send(`${snapshotUrl}${index % 2 ? `?at=${1 + (index % 5)}` : ''}`, {
        from: clients[index % clients.length] ?? '127.0.0.2',
      });
      return answer.status;
    });
    expect(tally(snapshots), 'every snapshot answered').toEqual({ 200: 1_200 });

    const sockets = await inParallel(1_200, 40, async (index) => {
      const query = index % 2 ? `project=${ref.project}&version=${ref.version}&from=2` : 'from=1';
      const opened = await openEvents(board.url, query, clients[index % clients.length]);
      if (!isOpen(opened)) return `refused ${opened.status}`;
      // Half read to the end of the replay, half hang up at once, as a flaky network would.
      if (index % 3 !== 0) {
        const caughtUp = await until('the replay to end', async () =>
          opened.frames.find((frame) => frame.type === 'caught-up' || frame.type === 'error'),
        );
        if (caughtUp.type === 'error') return `error frame: ${caughtUp.error}`;
      }
      opened.socket.close();
      return `closed ${(await opened.closed).code}`;
    });
    expect(tally(sockets), 'every WebSocket opened and closed by its client').toEqual({ 'closed 1005': 1_200 });

    await until(
      'the stream to hold no more consumers than before the flood',
      async () => ((await consumerCount()) === before ? true : undefined),
      15_000,
    ).catch(async () => expect(await consumerCount(), 'consumers on the stream after the flood').toBe(before));

    // The board after it: a snapshot, a WebSocket that replays and then streams live, and a reader of the log.
    const snapshot = JSON.parse((await send(snapshotUrl)).body) as { sequence: number; status: unknown };
    expect(snapshot).toMatchObject({ sequence: 5, status: states[4] });
    const live = await openEvents(board.url, `project=${ref.project}&version=${ref.version}&from=1`);
    if (!isOpen(live)) throw new Error(`the WebSocket after the flood was refused: ${live.status} ${live.body}`);
    await until('the replay', async () => (live.frames.some((frame) => frame.type === 'caught-up') ? true : undefined));
    const relisted = { state: 'relisted' };
    await log.append(ref, [
      {
        entity: 'release',
        state: 'succeeded',
        time: new Date().toISOString(),
        sequence: 6,
        patch: patchBetween(states[4], relisted),
      },
    ]);
    await until('the live event', async () =>
      live.frames.some((frame) => frame.event?.data.sequence === 6) ? true : undefined,
    );
    expect(live.frames.flatMap((frame) => (frame.event ? [frame.event.data.sequence] : []))).toEqual([
      1, 2, 3, 4, 5, 6,
    ]);
    live.socket.close();
    const reader = await JetStreamEventLog.connect(nats.url, { name: 'relforge-limits-reader' });
    try {
      const read: number[] = [];
      for await (const event of reader.read(ref)) read.push(event.data.sequence);
      expect(read).toEqual([1, 2, 3, 4, 5, 6]);
    } finally {
      await reader.close();
    }
    // What the notifier makes on start: a durable consumer of its own on the stream.
    const durable = `limits-test-${randomBytes(3).toString('hex')}`;
    await jsm.consumers.add(streamName(namespace()), {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      filter_subject: `relforge.${namespace()}.>`,
    });
    await jsm.consumers.delete(streamName(namespace()), durable);
  });
});

describe('one client address', () => {
  it('is answered 429 with a fix and Retry-After past its request rate, and refused a WebSocket past its socket limit, others unaffected', async () => {
    const { ref } = await loggedRelease();
    const board = await limitedGateway({
      RELFORGE_GATEWAY_REQUESTS_PER_MINUTE: '30',
      RELFORGE_GATEWAY_SOCKETS_PER_CLIENT: '3',
    });
    const snapshotUrl = `${board.url}/api/releases/${ref.project}/${ref.version}`;
    // Snapshots and unknown paths alike count: thirty at once pass, and the next ones are refused (the allowance
    // refills at one every 2 s, so one or two more may pass while these are sent).
    const statuses: number[] = [];
    let refused: Answer | undefined;
    while (!refused && statuses.length < 40) {
      const answer = await send(statuses.length % 3 ? snapshotUrl : `${board.url}/no/such/path`, { from: '127.0.0.2' });
      if (answer.status === 429) refused = answer;
      else statuses.push(answer.status);
    }
    expect(statuses.length, 'requests let through before the first 429').toBeGreaterThanOrEqual(30);
    expect(statuses.length).toBeLessThanOrEqual(33);
    expect(new Set(statuses)).toEqual(new Set([200, 404]));
    if (!refused) return;
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(2);
    expect(JSON.parse(refused.body)).toEqual({
      error: 'too many requests from your address: more than 30 a minute',
      fix: `wait ${String(refused.headers['retry-after'])} s (Retry-After) and ask again; if many people share this address, the gateway's operator raises --requests-per-minute (RELFORGE_GATEWAY_REQUESTS_PER_MINUTE)`,
    });
    // Health checks are not counted, and another address has its own allowance.
    expect((await send(`${board.url}/healthz`, { from: '127.0.0.2' })).status).toBe(200);
    expect((await send(snapshotUrl, { from: '127.0.0.3' })).status).toBe(200);

    const held: OpenSocket[] = [];
    for (let index = 0; index < 3; index++) {
      const opened = await openEvents(board.url, 'from=1', '127.0.0.4');
      if (!isOpen(opened)) throw new Error(`socket ${index + 1} of 3 was refused: ${opened.status} ${opened.body}`);
      held.push(opened);
    }
    const fourth = await openEvents(board.url, 'from=1', '127.0.0.4');
    expect(isOpen(fourth) ? 'upgraded' : fourth.status).toBe(429);
    if (isOpen(fourth)) return;
    expect(fourth.headers['retry-after']).toBe('30');
    expect(JSON.parse(fourth.body)).toEqual({
      error: 'too many event WebSockets open from your address: 3 already',
      fix: "close board tabs or event readers you no longer need (one a tab is enough), or wait 30 s for dropped ones to be closed; if many people share this address, the gateway's operator raises --sockets-per-client (RELFORGE_GATEWAY_SOCKETS_PER_CLIENT)",
    });
    // Another address opens one meanwhile; once one of the three closes, the first address may open another.
    const elsewhere = await openEvents(board.url, 'from=1', '127.0.0.5');
    expect(isOpen(elsewhere)).toBe(true);
    held[0]?.socket.close();
    await held[0]?.closed;
    const again = await until(
      'a socket to be let in once one closed',
      async () => {
        const opened = await openEvents(board.url, 'from=1', '127.0.0.4');
        return isOpen(opened) ? opened : undefined;
      },
      5_000,
    );
    for (const open of [...held, again, ...(isOpen(elsewhere) ? [elsewhere] : [])]) open.socket.close();
  });
});

describe('behind a proxy', () => {
  it("counts a trusted proxy's requests against the client its X-Forwarded-For names, and ignores the header from anyone else", async () => {
    const { ref } = await loggedRelease();
    const board = await limitedGateway({
      RELFORGE_GATEWAY_REQUESTS_PER_MINUTE: '3',
      RELFORGE_GATEWAY_TRUST_PROXY: '127.0.0.6',
    });
    const snapshotUrl = `${board.url}/api/releases/${ref.project}/${ref.version}`;
    const statuses = async (from: string, forwardedFor: string, count: number) => {
      const answers = [];
      for (let index = 0; index < count; index++) {
        answers.push((await send(snapshotUrl, { from, headers: { 'x-forwarded-for': forwardedFor } })).status);
      }
      return answers;
    };
    // Through the proxy: two people, three requests each, neither refused; a fourth of one person's is.
    expect(await statuses('127.0.0.6', '203.0.113.7', 3)).toEqual([200, 200, 200]);
    expect(await statuses('127.0.0.6', '203.0.113.8', 3)).toEqual([200, 200, 200]);
    expect(await statuses('127.0.0.6', '203.0.113.7', 1)).toEqual([429]);
    // Not the proxy: a header naming someone new each time changes nothing, the peer is counted.
    const spoofed = [];
    for (let index = 0; index < 4; index++) spoofed.push(...(await statuses('127.0.0.7', `198.51.100.${index}`, 1)));
    expect(spoofed).toEqual([200, 200, 200, 429]);
  });
});

describe('sequence parameters', () => {
  it('refuses a sequence past the largest safe integer with 400 before the upgrade, and on a snapshot', async () => {
    const { ref } = await loggedRelease();
    const board = await limitedGateway();
    const tooBig = 'expected a sequence number, at most 9007199254740991';
    const notOne = 'expected a sequence number, 1 or more';
    for (const [from, error] of [
      ['99999999999999999999', tooBig],
      ['9007199254740993', tooBig],
      ['1e3', notOne],
      ['0x10', notOne],
      ['-1', notOne],
      ['0', notOne],
    ] as const) {
      const opened = await openEvents(board.url, `from=${from}`);
      if (isOpen(opened)) opened.socket.close();
      expect(isOpen(opened) ? `upgraded, then ${JSON.stringify(opened.frames)}` : opened.status, `from=${from}`).toBe(
        400,
      );
      if (isOpen(opened)) continue;
      expect(JSON.parse(opened.body)).toEqual({
        error: `from: ${error}`,
        fix: 'reconnect with from=<the last cursor you received + 1>',
      });
    }
    const snapshot = await send(`${board.url}/api/releases/${ref.project}/${ref.version}?at=99999999999999999999`);
    expect(snapshot.status).toBe(400);
    expect(JSON.parse(snapshot.body)).toEqual({
      error: 'at: expected a sequence number, at most 9007199254740991',
      fix: 'give ?at=<sequence> of one of its events',
    });
    // The largest safe one is a sequence like any other: past the log's end, so caught up at once.
    const far = await openEvents(board.url, `from=${Number.MAX_SAFE_INTEGER}`);
    if (!isOpen(far)) throw new Error(`from=${Number.MAX_SAFE_INTEGER} was refused: ${far.status} ${far.body}`);
    await until('caught up', async () => (far.frames.some((frame) => frame.type === 'caught-up') ? true : undefined));
    expect(far.frames.filter((frame) => frame.type === 'error')).toEqual([]);
    far.socket.close();
  });
});

describe('slow connections', () => {
  it('closes connections that send no request or send it a byte at a time, and keeps a WebSocket and a 25 MB delivery', async () => {
    const { ref, states } = await loggedRelease();
    const board = await limitedGateway();
    const { port } = new URL(board.url);
    const watched = await openEvents(board.url, `project=${ref.project}&version=${ref.version}&from=1`);
    if (!isOpen(watched)) throw new Error(`the WebSocket was refused: ${watched.status}`);
    const startedAt = Date.now();
    /** Three connections that send nothing, three that send their headers a byte every 2 s. */
    const slow = Array.from({ length: 6 }, (_, index) => {
      const socket: Socket = tcpConnect({ host: '127.0.0.1', port: Number(port) });
      const closedAfter = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - startedAt)));
      socket.on('error', () => undefined);
      if (index >= 3) {
        const text = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(40)}\r\n\r\n`;
        let sent = 0;
        const trickle = setInterval(() => {
          if (socket.destroyed || sent >= text.length) clearInterval(trickle);
          else socket.write(text[sent++] ?? '');
        }, 2_000);
        socket.on('close', () => clearInterval(trickle));
      }
      return { socket, closedAfter };
    });
    const closed = await Promise.all(
      slow.map(({ socket, closedAfter }) =>
        Promise.race([closedAfter, sleep(25_000).then(() => (socket.destroy(), 'still open after 25 s'))]),
      ),
    );
    expect(closed.map((after) => (typeof after === 'number' && after <= 20_000 ? 'closed' : after))).toEqual(
      Array(6).fill('closed'),
    );

    // A delivery of GitHub's largest size, sent as GitHub sends it, is read whole and answered.
    const body = Buffer.from(
      JSON.stringify({ zen: 'Keep it logically awesome.', pad: 'x'.repeat(25 * 1024 * 1024 - 64) }),
    );
    expect(body.length).toBeLessThanOrEqual(25 * 1024 * 1024);
    const delivery = await send(`${board.url}/github/webhooks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'ping',
        'x-github-delivery': `limits-${randomBytes(4).toString('hex')}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
      body,
    });
    expect(delivery.status, delivery.body).toBe(200);

    // The WebSocket outlived the request timeout (30 s) and still streams what is stored now.
    await sleep(Math.max(0, 36_000 - (Date.now() - startedAt)));
    expect(watched.socket.readyState, 'the WebSocket after 36 s').toBe(WebSocket.OPEN);
    await log.append(ref, [
      {
        entity: 'release',
        state: 'succeeded',
        time: new Date().toISOString(),
        sequence: 6,
        patch: patchBetween(states[4], { state: 'later' }),
      },
    ]);
    await until('the event stored after 36 s', async () =>
      watched.frames.some((frame) => frame.event?.data.sequence === 6) ? true : undefined,
    );
    watched.socket.close();
  });
});
