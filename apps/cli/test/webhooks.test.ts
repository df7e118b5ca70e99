/**
 * Webhooks on real processes: the notifier as `relforge notifier` in a child process, a real nats-server with file
 * storage, and a real HTTP receiver verifying every Standard Webhooks signature. The events are a release's as its
 * workflow appends them, fed through JetStreamEventLog (claim, then append, retried as Temporal retries the event
 * step) rather than by a whole release: the notifier only reads the log, and a release would add minutes, not cases.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { workspaceRoot } from '@relforge/local-servers';
import {
  patchBetween,
  wholeDocument,
  type RecordedEvent,
  type ReleaseCloudEvent,
  type ReleaseRef,
  type SequencedEvent,
} from '@relforge/release-events';
import { JetStreamEventLog } from '@relforge/release-events/jetstream';
import { ReceiverRegistry, receiverDisabledType } from '@relforge/release-webhooks';
import { startTestNats, until, type TestNats } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli, type RunningCli } from './run-cli.js';
import { startTestReceiver, type Delivery, type TestReceiver } from './webhook-receiver.js';

const namespace = 'relforge';
const dir = mkdtempSync(join(tmpdir(), 'relforge-webhooks-'));
const secrets: Record<string, string> = {};
const secretEnv: Record<string, string> = {};
let nats: TestNats;
let log: JetStreamEventLog;
let receiver: TestReceiver;
const notifiers: RunningCli[] = [];

const receiverNames = [
  'down',
  'killed',
  'steady',
  'limited',
  'busy',
  'flaky',
  'gone',
  'moved',
  'moved-target',
  'hang',
  'full',
  'filtered',
  'trains',
];
for (const name of receiverNames) {
  secrets[name] = `whsec_${randomBytes(32).toString('base64')}`;
  secretEnv[envName(name)] = secrets[name];
}

function envName(name: string) {
  return `WEBHOOK_SECRET_${name.toUpperCase().replace(/-/g, '_')}`;
}

beforeAll(async () => {
  nats = await startTestNats();
  log = await JetStreamEventLog.connect(nats.url, { name: 'relforge-webhooks-test' });
  receiver = await startTestReceiver(secrets);
});

afterAll(async () => {
  for (const notifier of notifiers) await stop(notifier);
  await log?.close();
  await receiver?.close();
  await nats?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

/** A project's config with the receivers given, in a file of its own. */
function writeConfig(project: string, receivers: object[]): string {
  const path = join(dir, `${project}-${randomBytes(3).toString('hex')}.json`);
  const config = {
    project,
    source: { repository: `example/${project}` },
    stages: ['build', 'checksum', 'publish'],
    build: { command: 'make dist', matrix: [{ distro: 'bookworm', arch: ['x86_64'] }] },
    forge: { auth: { token: { env: 'GITHUB_TOKEN' } } },
    publish: {
      s3: { bucket: 'hello-releases', publicBaseUrl: 'https://downloads.example.com' },
      release: { repository: `example/${project}` },
    },
    notify: { webhooks: receivers },
  };
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

const hook = (name: string, extra: object = {}) => ({
  name,
  url: receiver.url(name),
  secret: { env: envName(name) },
  timeoutSeconds: 2,
  schedule: ['1s', '1s', '1s', '1s', '1s', '1s'],
  ...extra,
});

async function startNotifier(config: string, ...args: string[]): Promise<RunningCli> {
  const notifier = startCli(['notifier', '--config', config, '--nats-url', nats.url, ...args], secretEnv);
  notifiers.push(notifier);
  await until('the notifier to start', async () =>
    notifier.output().stdout.includes('notifier: delivering') ? true : undefined,
  );
  return notifier;
}

async function stop(notifier: RunningCli) {
  if (notifier.child.exitCode === null && notifier.child.signalCode === null) notifier.child.kill('SIGTERM');
  return notifier.exited;
}

/**
 * A release of `project` as its workflow logs it: the status after each change (three stages, one build, one
 * artifact), the first a whole document, each later one a patch of the status before it.
 */
function releaseOf(project: string) {
  const version = `1.${randomBytes(2).readUInt16BE()}.0`;
  const ref: ReleaseRef = { namespace, workflowId: `release/${project}/${version}`, runId: 'run-1', project, version };
  const file = `${project}-${version}.tar.gz`;
  type Status = { state: string; stages: Record<string, string>; builds: Record<string, string>; files: object };
  let status: Status = { state: 'queued', stages: {}, builds: {}, files: {} };
  const steps: [RecordedEvent['entity'], string, string | undefined, (s: Status) => void][] = [
    ['release', 'queued', undefined, () => undefined],
    ['release', 'preparing', undefined, (s) => (s.state = 'preparing')],
    ...['build', 'checksum', 'publish'].map((stage): (typeof steps)[number] => [
      'stage',
      'pending',
      stage,
      (s) => (s.stages[stage] = 'pending'),
    ]),
    ['release', 'running', undefined, (s) => (s.state = 'running')],
    ['stage', 'running', 'build', (s) => (s.stages['build'] = 'running')],
    ['build', 'queued', 'bookworm/x86_64', (s) => (s.builds['bookworm/x86_64'] = 'queued')],
    ['build', 'built', 'bookworm/x86_64', (s) => (s.builds['bookworm/x86_64'] = 'built')],
    ['stage', 'succeeded', 'build', (s) => (s.stages['build'] = 'succeeded')],
    ['stage', 'running', 'checksum', (s) => (s.stages['checksum'] = 'running')],
    ['artifact', 'digested', file, (s) => (s.files = { [file]: 'digested' })],
    ['stage', 'succeeded', 'checksum', (s) => (s.stages['checksum'] = 'succeeded')],
    ['stage', 'running', 'publish', (s) => (s.stages['publish'] = 'running')],
    ['artifact', 'uploaded', file, (s) => (s.files = { [file]: 'uploaded' })],
    ['artifact', 'published', file, (s) => (s.files = { [file]: 'published' })],
    ['stage', 'succeeded', 'publish', (s) => (s.stages['publish'] = 'succeeded')],
    ['release', 'succeeded', undefined, (s) => (s.state = 'succeeded')],
  ];
  const statuses: Status[] = [];
  const events: SequencedEvent[] = steps.map(([entity, state, subject, change], index) => {
    const before = status;
    status = structuredClone(status);
    change(status);
    statuses.push(status);
    return {
      entity,
      state,
      ...(subject ? { subject } : {}),
      time: new Date(Date.UTC(2026, 11, 1, 12, 0, index)).toISOString(),
      sequence: index + 1,
      patch: index === 0 ? wholeDocument(status) : patchBetween(before, status),
    };
  });
  let emitted = 0;
  return {
    ref,
    events,
    statuses,
    /** Logs the next `count` events, as the workflow's event step does. */
    async emit(count = events.length - emitted) {
      const batch = events.slice(emitted, emitted + count);
      if (emitted === 0) {
        const [first, ...rest] = batch;
        if (first) await log.claim(ref, first);
        if (rest.length) await log.append(ref, rest);
      } else await log.append(ref, batch);
      emitted += batch.length;
    },
  };
}

const sequences = (deliveries: Delivery[]) => deliveries.map((delivery) => delivery.event.data.sequence);
const oneToN = (n: number) => Array.from({ length: n }, (_, index) => index + 1);

/** Waits for `name` to have accepted `count` events; the notifiers' output is in the error, to read when it fails. */
async function acceptedAll(name: string, count: number) {
  await until(`${name} to accept ${count} events`, async () =>
    receiver.accepted(name).length >= count ? true : undefined,
  ).catch((error: Error) => {
    const outputs = notifiers.map((notifier) => notifier.output().stdout + notifier.output().stderr).join('\n---\n');
    throw new Error(`${error.message}; the notifiers printed:\n${outputs}`);
  });
}

/**
 * Every event taken once, in the log's order, every signature good; unless `redeliveries` says a restarted server may
 * have rolled back its last acks, also every request in the log's order (a retry is never overtaken).
 */
function expectDeliveredInOrder(name: string, count: number, redeliveries: 'in order' | 'rolled back' = 'in order') {
  const requests = receiver.requests(name);
  expect(requests.every((delivery) => delivery.verified)).toBe(true);
  expect(sequences(receiver.accepted(name))).toEqual(oneToN(count));
  if (redeliveries === 'in order') expect(sequences(requests)).toEqual([...sequences(requests)].sort((a, b) => a - b));
  expect(requests.every((delivery) => delivery.id === `${delivery.event.source}#${delivery.event.data.sequence}`)).toBe(
    true,
  );
}

describe('relforge notifier', () => {
  it("delivers a train's events beside its releases', filtered by a last *, folded whole in full mode", async () => {
    const release = releaseOf('wh-train');
    const { project, version } = release.ref;
    // The train of the release's own version: its log is apart from the release's, under the same project.
    const train: ReleaseRef = { ...release.ref, workflowId: `train/${project}/${version}`, kind: 'train' };
    const open = { state: 'open', channel: 'beta', steps: [] as object[] };
    const running = { ...open, state: 'running', steps: [{ version: `${version}-beta.1`, outcome: 'running' }] };
    const at = (second: number) => new Date(Date.UTC(2026, 11, 1, 13, 0, second)).toISOString();
    const notifier = await startNotifier(
      writeConfig('wh-train', [
        hook('trains', { events: ['dev.relforge.train.*', 'dev.relforge.release.succeeded.v1'], mode: 'full' }),
      ]),
    );
    await log.claim(train, { entity: 'train', state: 'open', time: at(0), patch: wholeDocument(open) });
    await release.emit();
    await log.append(train, [
      { entity: 'train-step', state: 'running', subject: `${version}-beta.1`, time: at(1), sequence: 2, patch: [] },
      { entity: 'train', state: 'running', time: at(1), sequence: 3, patch: patchBetween(open, running) },
    ]);
    await acceptedAll('trains', 3);
    await stop(notifier);
    const accepted = receiver.accepted('trains');
    expect(accepted.map((delivery) => [delivery.event.source, delivery.event.type])).toEqual([
      [train.workflowId, 'dev.relforge.train.open.v1'],
      [release.ref.workflowId, 'dev.relforge.release.succeeded.v1'],
      [train.workflowId, 'dev.relforge.train.running.v1'],
    ]);
    expect(accepted.at(-1)?.event.data.status).toEqual(running);
    expect(accepted[1]?.event.data.status).toEqual(release.statuses.at(-1));
  });

  it('delivers every event once, in order, to a receiver that was down through several retries mid-release', async () => {
    const release = releaseOf('wh-down');
    const notifier = await startNotifier(writeConfig('wh-down', [hook('down')]));
    await release.emit(5);
    await acceptedAll('down', 5);
    // Down: the connection is dropped before any answer, for three attempts of event 6.
    let drops = 0;
    receiver.behave('down', (_, delivery) =>
      delivery.event.data.sequence === 6 && drops++ < 3 ? 'drop' : { status: 200 },
    );
    await release.emit();
    await acceptedAll('down', release.events.length);
    await stop(notifier);

    expectDeliveredInOrder('down', release.events.length);
    const sixth = receiver.requests('down').filter((delivery) => delivery.event.data.sequence === 6);
    expect(sixth.map((delivery) => delivery.id)).toEqual(Array(4).fill(`${release.ref.workflowId}#6`));
    expect(notifier.output().stdout).toContain(
      `wh-down/down: failed ${release.ref.workflowId}#6 (dev.relforge.release.running.v1), attempt 3: could not be reached`,
    );
    expect(notifier.output().stdout).toContain(
      `wh-down/down: delivered ${release.ref.workflowId}#6 (dev.relforge.release.running.v1), attempt 4: 200`,
    );

    // The receiver's log of one release, kept with the test results for the README.
    const results = join(workspaceRoot(), '.relforge', 'test-results');
    mkdirSync(results, { recursive: true });
    writeFileSync(
      join(results, 'webhook-receiver-log.jsonl'),
      receiver
        .requests('down')
        .map(({ id, at, verified, answered, event }) =>
          JSON.stringify({
            at,
            webhookId: id,
            verified,
            answered,
            type: event.type,
            subject: event.subject,
            sequence: event.data.sequence,
            patch: event.data.patch,
          }),
        )
        .join('\n') + '\n',
    );
  });

  it('resumes from the durable consumer after the notifier is SIGKILLed mid-delivery: nothing lost, the redelivery under the same webhook-id', async () => {
    const release = releaseOf('wh-killed');
    const config = writeConfig('wh-killed', [hook('killed')]);
    const first = await startNotifier(config);
    // Event 4 is taken by the receiver, but its answer comes too late for the notifier, which is killed meanwhile.
    receiver.behave('killed', (_, delivery) =>
      delivery.event.data.sequence === 4 && delivery.first ? { status: 200, afterMs: 5_000 } : { status: 200 },
    );
    await release.emit(8);
    await until('event 4 to reach the receiver', async () =>
      sequences(receiver.requests('killed')).includes(4) ? true : undefined,
    );
    first.child.kill('SIGKILL');
    expect((await first.exited).code).toBe(128);
    await release.emit();
    const second = await startNotifier(config);
    await until('the receiver to have every event', async () =>
      receiver.requests('killed').filter((delivery) => !delivery.first).length > 0 &&
      receiver.accepted('killed').length === release.events.length
        ? true
        : undefined,
    );
    await stop(second);

    expectDeliveredInOrder('killed', release.events.length);
    const fourth = receiver.requests('killed').filter((delivery) => delivery.event.data.sequence === 4);
    expect(fourth.map((delivery) => [delivery.id, delivery.first])).toEqual([
      [`${release.ref.workflowId}#4`, true],
      [`${release.ref.workflowId}#4`, false],
    ]);
  });

  it('loses no event when NATS is SIGKILLed and restarted mid-release: the emission is retried, stored once and delivered once', async () => {
    const release = releaseOf('wh-steady');
    const notifier = await startNotifier(writeConfig('wh-steady', [hook('steady')]));
    await release.emit(4);
    await acceptedAll('steady', 4);
    await nats.kill();
    // The event step as Temporal retries it: it fails while the server is down, and is tried again until it is back.
    const emitting = (async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          await release.emit(4);
          return attempt;
        } catch (error) {
          if (attempt === 60) throw error;
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await nats.restart();
    expect(await emitting).toBeGreaterThan(1);
    // A retry of a step whose ack was lost appends nothing.
    expect(await log.append(release.ref, release.events.slice(4, 8))).toBe(0);
    await release.emit();
    await acceptedAll('steady', release.events.length);
    // It rode out the outage, and stops cleanly on SIGTERM.
    expect(notifier.child.exitCode).toBeNull();
    expect((await stop(notifier)).code).toBe(0);

    const stored: ReleaseCloudEvent[] = [];
    for await (const event of log.read(release.ref)) stored.push(event);
    expect(stored.map((event) => event.data.sequence)).toEqual(oneToN(release.events.length));
    // A SIGKILLed server may lose the last acks it had not written yet: those events come again, in order, under the
    // same webhook-id, and only those that were delivered before the kill.
    expectDeliveredInOrder('steady', release.events.length, 'rolled back');
    const again = receiver.requests('steady').filter((delivery) => !delivery.first);
    expect(again.every((delivery) => delivery.event.data.sequence <= 4)).toBe(true);
    // Longer than the waits inside it, so a hang reports what the notifier printed instead of a bare timeout.
  }, 240_000);

  it('handles 429 and 503 with Retry-After, 500, 410, a 302 and a hanging receiver as documented, and keeps a disabling across restarts', async () => {
    const release = releaseOf('wh-answers');
    const httpDate = () => new Date(Date.now() + 3_000).toUTCString();
    receiver.behave('limited', (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    receiver.behave('busy', (n) =>
      n === 1 ? { status: 503, headers: { 'retry-after': httpDate() } } : { status: 200 },
    );
    receiver.behave('flaky', (n) => (n === 1 ? { status: 500 } : { status: 200 }));
    receiver.behave('gone', () => ({ status: 410 }));
    receiver.behave('moved', () => ({ status: 302, headers: { location: receiver.url('moved-target') } }));
    receiver.behave('hang', (n) => (n <= 2 ? 'hang' : { status: 200 }));
    const short = { schedule: ['1s', '1s'] };
    const config = writeConfig('wh-answers', [
      hook('limited', { schedule: ['1s', '10s'] }),
      hook('busy', { schedule: ['1s', '10s'] }),
      hook('flaky', short),
      hook('gone', short),
      hook('moved', short),
      hook('hang', { timeoutSeconds: 1, ...short }),
      hook('full', { mode: 'full' }),
      hook('filtered', { events: ['dev.relforge.release.*.v1'] }),
    ]);
    const notifier = await startNotifier(config);
    await release.emit();
    const count = release.events.length;
    for (const name of ['limited', 'busy', 'flaky', 'hang', 'full']) await acceptedAll(name, count);
    await until('moved to be disabled', async () =>
      notifier.output().stdout.includes('wh-answers/moved: disabled') ? true : undefined,
    );
    await stop(notifier);
    const output = notifier.output().stdout;

    for (const name of ['limited', 'busy', 'flaky', 'hang', 'full']) expectDeliveredInOrder(name, count);
    // 429 and 503: the wait the receiver asked for, not the schedule's 1 s.
    const [limited1, limited2] = receiver.requests('limited');
    expect((limited2?.at ?? 0) - (limited1?.at ?? 0)).toBeGreaterThanOrEqual(1_900);
    expect(output).toMatch(
      /wh-answers\/limited: failed \S+#1 \S+, attempt 1: answered 429; retrying in 2\.0 s, as its Retry-After asked/,
    );
    const [busy1, busy2] = receiver.requests('busy');
    expect((busy2?.at ?? 0) - (busy1?.at ?? 0)).toBeGreaterThanOrEqual(1_000);
    expect(output).toMatch(
      /wh-answers\/busy: failed \S+#1 \S+, attempt 1: answered 503; retrying in \d\.\d s, as its Retry-After asked/,
    );
    expect(output).toMatch(
      /wh-answers\/flaky: failed \S+#1 \S+, attempt 1: answered 500; retrying in (\d+ ms|\d\.\d s)\n/,
    );
    // A hang is a failure once the attempt's timeout is up; the event is then delivered under the same id.
    expect(output).toMatch(/wh-answers\/hang: failed \S+#1 \S+, attempt 2: did not answer within 1 s; retrying/);
    expect(
      receiver
        .requests('hang')
        .slice(0, 3)
        .map((delivery) => delivery.id),
    ).toEqual(Array(3).fill(`${release.ref.workflowId}#1`));
    // 410: disabled at once, after one request. 3xx: never followed, a failure on every attempt, then disabled.
    expect(receiver.requests('gone')).toHaveLength(1);
    expect(output).toContain(
      `wh-answers/gone: disabled after ${release.ref.workflowId}#1 (dev.relforge.release.queued.v1), attempt 1: answered 410 Gone`,
    );
    expect(receiver.requests('moved')).toHaveLength(3);
    expect(receiver.requests('moved-target')).toHaveLength(0);
    expect(output).toContain('answered 302 (a redirect, which is not followed)');
    expect(output).toContain(
      `wh-answers/moved: disabled after ${release.ref.workflowId}#1 (dev.relforge.release.queued.v1), attempt 3: answered 302 (a redirect, which is not followed) on every attempt of the schedule`,
    );
    // Full snapshots: each event's data is the release's whole status after it.
    expect(receiver.accepted('full').map((delivery) => delivery.event.data.status)).toEqual(release.statuses);
    expect(receiver.accepted('full').every((delivery) => !('patch' in delivery.event.data))).toBe(true);
    // A filtered receiver gets only the types it asked for.
    expect(receiver.accepted('filtered').map((delivery) => delivery.event.type)).toEqual(
      release.events
        .filter((event) => event.entity === 'release')
        .map((event) => `dev.relforge.release.${event.state}.v1`),
    );
    expect(output).not.toContain(secrets['gone']);

    // Each disabling is an event, and is kept: a new notifier delivers a new release to the others, not to gone.
    const connection = await connect({ servers: nats.url });
    try {
      const registry = await ReceiverRegistry.open(
        jetstream(connection),
        await jetstreamManager(connection),
        namespace,
      );
      const disablings = await registry.disablings(namespace);
      expect(disablings.map((event) => [event.type, event.subject, event.data?.eventId])).toEqual([
        [receiverDisabledType, 'gone', `${release.ref.workflowId}#1`],
        [receiverDisabledType, 'moved', `${release.ref.workflowId}#1`],
      ]);
      expect(await registry.disabled({ namespace, project: 'wh-answers', receiver: 'gone' })).toMatchObject({
        reason: 'answered 410 Gone',
        attempts: 1,
      });
    } finally {
      await connection.close();
    }
    const next = releaseOf('wh-answers');
    const restarted = await startNotifier(config);
    await next.emit();
    await acceptedAll('flaky', 2 * count);
    await stop(restarted);
    expect(restarted.output().stdout).toContain('wh-answers/gone: disabled since');
    expect(restarted.output().stdout).toContain('`relforge notifier --enable wh-answers/gone` resumes it');
    expect(receiver.requests('gone')).toHaveLength(1);

    // Enabled again, it starts at the event it was not given and gets both releases in order.
    receiver.behave('gone', () => ({ status: 200 }));
    const enabled = await startNotifier(config, '--enable', 'wh-answers/gone');
    await acceptedAll('gone', 2 * count);
    await stop(enabled);
    expect(enabled.output().stdout).toContain(`wh-answers/gone: enabled again, from event ${release.ref.workflowId}#1`);
    expect(receiver.accepted('gone').map((delivery) => delivery.id)).toEqual(
      [release, next].flatMap((each) => each.events.map((event) => `${each.ref.workflowId}#${event.sequence}`)),
    );
  });

  it('refuses a bad receiver config naming the field, and a missing or malformed secret without printing it', async () => {
    const bad = writeConfig('wh-bad', [
      { name: 'chat', url: 'https://relforge:SECRET0123@hooks.example.com/', secret: { env: 'CHAT_SECRET' } },
      { name: 'mail', url: receiver.url('mail'), events: ['dev.relforge.stage.exploded.v1'] },
    ]);
    const refused = await runCli(['notifier', '--config', bad, '--nats-url', nats.url]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('notify.webhooks[0].url: must not carry a user name or password');
    expect(refused.stderr).toContain('notify.webhooks[1].secret: required: name where the signing secret is kept');
    expect(refused.stderr).toContain(
      'notify.webhooks[1].events[0]: matches no event type a release or a train produces',
    );
    expect(refused.stderr).not.toContain('SECRET0123');

    const good = writeConfig('wh-bad', [hook('chat')]);
    const unset = await runCli(['notifier', '--config', good, '--nats-url', nats.url], { [envName('chat')]: '' });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain(
      `wh-bad: notify.webhooks[0].secret: environment variable ${envName('chat')} is not set`,
    );
    const malformed = await runCli(['notifier', '--config', good, '--nats-url', nats.url], {
      [envName('chat')]: 'not a key, SECRET-VALUE!',
    });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain(
      'wh-bad: notify.webhooks[0].secret: the secret is not a Standard Webhooks signing key',
    );
    expect(malformed.stderr).not.toContain('SECRET-VALUE');
  });
});
