import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort, startNatsServer } from '@relforge/local-servers';
import { startTestNats, until, type TestNats } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchBetween, wholeDocument, type RecordedEvent, type ReleaseRef, type SequencedEvent } from '../src/index.js';
import {
  EventLogConflictError,
  JetStreamEventLog,
  releaseSubject,
  streamName,
  subjectToken,
} from '../src/jetstream.js';

let nats: TestNats;
let log: JetStreamEventLog;
beforeAll(async () => {
  nats = await startTestNats();
  log = await JetStreamEventLog.connect(nats.url, { name: 'relforge-events-test' });
});
afterAll(async () => {
  await log?.close();
  await nats?.teardown();
});

const newRelease = (runId = 'run-a'): ReleaseRef => {
  const version = `1.${randomBytes(2).readUInt16BE()}.0`;
  return { namespace: 'relforge', workflowId: `release/hello/${version}`, runId, project: 'hello', version };
};

const queued = (status: object): RecordedEvent => ({
  entity: 'release',
  state: 'queued',
  time: '2026-01-01T00:00:00.000Z',
  patch: wholeDocument(status),
});

/** Events 2.. of a run, each a patch from the state before. */
function changes(from: number, states: object[], previous: object): SequencedEvent[] {
  let before = previous;
  return states.map((after, index) => {
    const event: SequencedEvent = {
      entity: 'release',
      state: (after as { state: string }).state,
      time: '2026-01-01T00:00:01.000Z',
      sequence: from + index,
      patch: patchBetween(before, after),
    };
    before = after;
    return event;
  });
}

async function all(ref: ReleaseRef, from?: number) {
  const events = [];
  for await (const event of log.read(ref, from === undefined ? {} : { from })) events.push(event);
  return events;
}

describe('the JetStream event log', () => {
  it('numbers a release from 1, stores CloudEvents, and folds them into the status at any sequence', async () => {
    const ref = newRelease();
    const start = { state: 'queued', stages: [] };
    expect(await log.claim(ref, queued(start))).toBe(1);
    const preparing = { state: 'preparing', stages: [] };
    const running = { state: 'running', stages: [{ name: 'build', state: 'pending' }] };
    expect(await log.append(ref, changes(2, [preparing, running], start))).toBe(2);

    const events = await all(ref);
    expect(events.map((event) => [event.data.sequence, event.type, event.sequence])).toEqual([
      [1, 'dev.relforge.release.queued.v1', '0000000001'],
      [2, 'dev.relforge.release.preparing.v1', '0000000002'],
      [3, 'dev.relforge.release.running.v1', '0000000003'],
    ]);
    expect(events[2]).toMatchObject({
      specversion: '1.0',
      id: `${ref.workflowId}#3`,
      source: ref.workflowId,
      runid: 'run-a',
      datacontenttype: 'application/json',
      data: { sequence: 3, appliesTo: 2 },
    });
    expect(await log.snapshotAt(ref)).toEqual({ sequence: 3, value: running });
    expect(await log.snapshotAt(ref, 2)).toEqual({ sequence: 2, value: preparing });
    expect((await all(ref, 3)).map((event) => event.data.sequence)).toEqual([3]);
  });

  it('stores a retried claim and a retried append once: what an attempt whose ack was lost stored is skipped', async () => {
    const ref = newRelease();
    const start = { state: 'queued' };
    expect(await log.claim(ref, queued(start))).toBe(1);
    expect(await log.claim(ref, queued(start))).toBe(1);
    const batch = changes(2, [{ state: 'preparing' }, { state: 'running' }], start);
    expect(await log.append(ref, batch.slice(0, 1))).toBe(1);
    expect(await log.append(ref, batch)).toBe(1);
    expect(await log.append(ref, batch)).toBe(0);
    expect((await all(ref)).map((event) => event.id)).toEqual([1, 2, 3].map((n) => `${ref.workflowId}#${n}`));
  });

  it('continues the numbering in a new run after a lost one, and refuses the lost run once replaced', async () => {
    const lost = newRelease('run-lost');
    const start = { state: 'queued' };
    await log.claim(lost, queued(start));
    await log.append(lost, changes(2, [{ state: 'preparing' }], start));
    const next = { ...lost, runId: 'run-next' };
    expect(await log.claim(next, queued({ state: 'queued', again: true }))).toBe(3);
    const late = log.append(lost, changes(3, [{ state: 'running' }], { state: 'preparing' }));
    await expect(late).rejects.toThrow(EventLogConflictError);
    await expect(late).rejects.toThrow(`run run-lost of release hello ${lost.version} no longer writes its event log`);
    const events = await all(lost);
    expect(events.map((event) => [event.data.sequence, event.runid])).toEqual([
      [1, 'run-lost'],
      [2, 'run-lost'],
      [3, 'run-next'],
    ]);
    // The new run's first event replaces the whole document: it applies whatever the lost run said last.
    expect(await log.snapshotAt(next)).toEqual({ sequence: 3, value: { state: 'queued', again: true } });
  });

  it('refuses an append that would leave a gap in the numbering', async () => {
    const ref = newRelease();
    await log.claim(ref, queued({ state: 'queued' }));
    const skipping = changes(3, [{ state: 'preparing' }], { state: 'queued' });
    await expect(log.append(ref, skipping)).rejects.toThrow('event 3 would follow event 1 in its log, leaving a gap');
  });

  it('follows a release: events appended later arrive in order until the reader stops', async () => {
    const ref = newRelease();
    const start = { state: 'queued' };
    await log.claim(ref, queued(start));
    const stop = new AbortController();
    const seen: number[] = [];
    const following = (async () => {
      for await (const event of log.read(ref, { follow: true, signal: stop.signal })) {
        seen.push(event.data.sequence);
        if (seen.length === 3) stop.abort();
      }
    })();
    await log.append(ref, changes(2, [{ state: 'preparing' }, { state: 'running' }], start));
    await following;
    expect(seen).toEqual([1, 2, 3]);
  });

  it('reads and follows without leaving a consumer: followers share one, deleted when the last one leaves', async () => {
    const [first, second] = [newRelease(), newRelease()];
    const start = { state: 'queued' };
    await log.claim(first, queued(start));
    await log.claim(second, queued(start));
    const connection = await connect({ servers: nats.url });
    const manager = await jetstreamManager(connection);
    const consumers = async () => (await manager.streams.info(streamName('relforge'))).state.consumer_count;
    try {
      const before = await consumers();
      for (let index = 0; index < 50; index++) {
        expect((await all(first)).map((event) => event.data.sequence)).toEqual([1]);
        expect((await log.snapshotAt(first))?.sequence).toBe(1);
      }
      expect(await consumers()).toBe(before);

      // Three followers at once: two of the first release (from 1, and from 2), one of the whole namespace.
      const stop = new AbortController();
      const seen = { from1: [] as number[], from2: [] as number[], all: [] as string[] };
      const lastStream = await log.lastStreamSequence('relforge');
      const followers = [
        (async () => {
          for await (const event of log.read(first, { follow: true, signal: stop.signal })) {
            seen.from1.push(event.data.sequence);
          }
        })(),
        (async () => {
          for await (const event of log.read(first, { from: 2, follow: true, signal: stop.signal })) {
            seen.from2.push(event.data.sequence);
          }
        })(),
        (async () => {
          for await (const stored of log.follow('relforge', { from: lastStream, signal: stop.signal })) {
            seen.all.push(`${stored.event.source}#${stored.event.data.sequence}`);
          }
        })(),
      ];
      // Appended while the followers replay and join the feed: each event arrives once, in order.
      const states = ['preparing', 'running', 'publishing', 'succeeded'].map((state) => ({ state }));
      let before1 = start;
      for (const [index, after] of states.entries()) {
        await log.append(first, changes(index + 2, [after], before1));
        await log.append(second, changes(index + 2, [after], before1));
        before1 = after;
      }
      await until('every follower to see the last event', async () =>
        seen.from1.length === 5 && seen.from2.length === 4 && seen.all.length >= 9 ? true : undefined,
      );
      expect(await consumers(), 'one shared consumer for three followers').toBe(before + 1);
      stop.abort();
      await Promise.all(followers);
      expect(seen.from1).toEqual([1, 2, 3, 4, 5]);
      expect(seen.from2).toEqual([2, 3, 4, 5]);
      expect(seen.all).toEqual([
        `${second.workflowId}#1`,
        ...[2, 3, 4, 5].flatMap((sequence) => [`${first.workflowId}#${sequence}`, `${second.workflowId}#${sequence}`]),
      ]);
      await until('the shared consumer to be deleted', async () => ((await consumers()) === before ? true : undefined));
    } finally {
      await connection.close();
    }
  });

  it("opens a worker's log before its NATS server is up, and logs once the server is there", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relforge-late-nats-'));
    const port = await freePort();
    const waiting: string[] = [];
    const late = JetStreamEventLog.open(`nats://127.0.0.1:${port}`, {
      name: 'relforge-late',
      onWaiting: (reason) => waiting.push(reason),
    });
    try {
      const claimed = late.claim(newRelease(), queued({ state: 'queued' }));
      await until('the log to say it waits', async () => (waiting.length > 0 ? true : undefined));
      const server = await startNatsServer({ port, storeDir: join(dir, 'store'), logFile: join(dir, 'nats.log') });
      try {
        expect(await claimed).toBe(1);
        expect(waiting).toHaveLength(1);
      } finally {
        await late.close();
        await server.process.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps a train's log apart from its final release's, which shares its project and version", async () => {
    const release = newRelease();
    const train: ReleaseRef = { ...release, workflowId: `train/hello/${release.version}`, kind: 'train' };
    const open: RecordedEvent = {
      entity: 'train',
      state: 'open',
      time: '2026-01-01T00:00:00.000Z',
      patch: wholeDocument({}),
    };
    expect(await log.claim(train, open)).toBe(1);
    expect(await log.claim(release, queued({ state: 'queued' }))).toBe(1);
    const running = { state: 'running', steps: [{ version: release.version }] };
    await log.append(train, [{ ...open, state: 'running', sequence: 2, patch: patchBetween({}, running) }]);
    expect((await all(train)).map((event) => [event.source, event.type, event.data.sequence])).toEqual([
      [train.workflowId, 'dev.relforge.train.open.v1', 1],
      [train.workflowId, 'dev.relforge.train.running.v1', 2],
    ]);
    expect((await all(release)).map((event) => [event.source, event.type])).toEqual([
      [release.workflowId, 'dev.relforge.release.queued.v1'],
    ]);
    expect((await log.snapshotAt(train))?.value).toEqual(running);
  });

  it('keeps releases apart on subjects of their own, one stream per namespace', () => {
    const ref = { namespace: 'relforge', project: 'hello', version: '1.2.3-rc.1' };
    expect(releaseSubject(ref, 'stage')).toBe('relforge.relforge.hello.1_2_3-rc_1.stage');
    expect(releaseSubject(ref, '*')).toBe('relforge.relforge.hello.1_2_3-rc_1.*');
    // A train's, one token longer: the release's `*` never matches them.
    expect(releaseSubject({ ...ref, kind: 'train' }, '*')).toBe('relforge.relforge.hello.1_2_3-rc_1.train.*');
    expect(streamName('team.a')).toBe('relforge-events-team_a');
    // Refused input still gets a subject of its own: `_`, `%`, spaces and wildcards are escaped, never merged.
    expect(subjectToken('1_2_3')).toBe('1%5F2%5F3');
    expect(subjectToken('1.2.3 >*')).toBe('1_2_3%20%3E%2A');
    expect(new Set(['1.2.3', '1_2_3', '1%5F2%5F3'].map(subjectToken)).size).toBe(3);
  });
});
