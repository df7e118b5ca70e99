/**
 * `pnpm bench` (here: `pnpm --filter @relforge/gateway bench`): what a bounded burst of 5,000 mixed requests from
 * four client addresses leaves in the gateway (issue 19's closing note): its process's resident memory and the
 * events' stream's consumer count, before the burst, right after it and once settled (10 s). The mix is a board's
 * traffic turned up: snapshots of releases (at their last event and at earlier ones), the release and train lists,
 * event WebSockets opened (half read to the end of their replay, half hung up at once) and unknown paths.
 *
 * The burst runs twice: with the client limits raised out of its way, so that every request reaches the event log
 * (the same work the gateway did before it had limits), and with the default limits, which answer most of it 429.
 * Sizes: RELFORGE_BENCH_REQUESTS (5,000), RELFORGE_BENCH_PARALLEL (50). A bench asserts nothing about speed.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { JetStreamEventLog, streamName } from '@relforge/release-events/jetstream';
import { createExampleProject, startTestNats, testStack, type TestNats } from '@relforge/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { clientAddresses, inParallel, isOpen, logRelease, openEvents, send, tally } from '../test/clients.js';
import { newSecret, startGateway } from '../test/gateway-process.js';

function size(name: string, fallback: number): number {
  const text = process.env[name];
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${text} is not a whole number of at least 1`);
  return value;
}
const requests = size('RELFORGE_BENCH_REQUESTS', 5_000);
const parallel = size('RELFORGE_BENCH_PARALLEL', 50);

let nats: TestNats;
let log: JetStreamEventLog;
let connection: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  nats = await startTestNats();
  log = await JetStreamEventLog.connect(nats.url, { name: 'relforge-gateway-bench' });
  connection = await connect({ servers: nats.url });
  jsm = await jetstreamManager(connection);
});

afterAll(async () => {
  await connection?.close();
  await log?.close();
  await nats?.teardown();
});

const rssMiB = (pid: number) => {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(line?.[1] ?? 0) / 1024);
};

it(`measures the gateway's memory and the stream's consumers after a burst of ${requests} mixed requests`, async () => {
  const example = await createExampleProject();
  const namespace = testStack().temporal.namespace;
  const releases = await Promise.all(Array.from({ length: 10 }, () => logRelease(log, example.project, namespace)));
  const consumers = async () => (await jsm.streams.info(streamName(namespace))).state.consumer_count;
  const rows: string[] = [];
  for (const [label, env] of [
    [
      'limits raised',
      { RELFORGE_GATEWAY_REQUESTS_PER_MINUTE: '10000000', RELFORGE_GATEWAY_SOCKETS_PER_CLIENT: '100000' },
    ],
    ['default limits', {}],
  ] as const) {
    const gateway = await startGateway(example, { secret: newSecret(), env: { RELFORGE_NATS_URL: nats.url, ...env } });
    try {
      // Warmed up: each kind of request once, so the figures before are of a gateway that has served.
      for (const path of [
        '/api/releases',
        '/api/trains',
        `/api/releases/${example.project}/${releases[0]?.ref.version}`,
      ])
        await send(`${gateway.url}${path}`);
      const before = { rss: rssMiB(gateway.pid), consumers: await consumers() };
      const startedAt = Date.now();
      const answers = await inParallel(requests, parallel, async (index) => {
        const from = clientAddresses[index % clientAddresses.length];
        const release = releases[index % releases.length]?.ref;
        const kind = index % 10;
        if (kind < 4) {
          const at = index % 2 ? `?at=${1 + (index % 5)}` : '';
          return (await send(`${gateway.url}/api/releases/${release?.project}/${release?.version}${at}`, { from }))
            .status;
        }
        if (kind === 4) return (await send(`${gateway.url}/api/${index % 2 ? 'trains' : 'releases'}`, { from })).status;
        if (kind < 8) {
          const query = index % 2 ? `project=${release?.project}&version=${release?.version}&from=2` : 'from=1';
          const opened = await openEvents(gateway.url, query, from).catch((error: Error) => error);
          if (opened instanceof Error) return `ws error ${opened.message}`;
          if (!isOpen(opened)) return opened.status;
          if (index % 4 === 0) {
            const deadline = Date.now() + 10_000;
            while (!opened.frames.some((frame) => frame.type === 'caught-up') && Date.now() < deadline) await sleep(5);
          }
          const error = opened.frames.find((frame) => frame.type === 'error');
          opened.socket.close();
          const { code } = await opened.closed;
          return error ? `ws ${code}: ${error.error}` : `ws ${code}`;
        }
        return (await send(`${gateway.url}/no/such/${index}`, { from })).status;
      });
      const seconds = (Date.now() - startedAt) / 1_000;
      const after = { rss: rssMiB(gateway.pid), consumers: await consumers() };
      await sleep(10_000);
      const settled = { rss: rssMiB(gateway.pid), consumers: await consumers() };
      const outcomes = Object.entries(tally(answers))
        .map(([outcome, count]) => `${outcome}×${count}`)
        .join(', ');
      rows.push(
        `| ${label} | ${seconds.toFixed(1)} s | ${before.rss} → ${after.rss} → ${settled.rss} MiB | ${before.consumers} → ${after.consumers} → ${settled.consumers} | ${outcomes} |`,
      );
      expect(answers).toHaveLength(requests);
    } finally {
      await gateway.stop();
    }
  }
  console.log(
    [
      `gateway after a burst of ${requests} mixed requests, ${parallel} at a time, from ${clientAddresses.length} addresses`,
      '| run | burst took | gateway RSS: before → after → settled 10 s | stream consumers: before → after → settled | answers |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
});
