/**
 * The release's events with stub activities, into a real JetStream (a NATS server of this file's own): what the
 * workflow logs for a release that succeeds, one parked and resumed, one aborted, a new run after a lost one, and a
 * worker with no event log.
 */
import { randomBytes } from 'node:crypto';
import type { WorkflowFailedError } from '@temporalio/client';
import { abortSignal, releaseWorkflowId, resumeUpdate, statusQuery, type ReleaseStatus } from '@relforge/release';
import type { ReleaseCloudEvent } from '@relforge/release-events';
import type { release as releaseWorkflow } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { until } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { described, eventsOf, expectWholeLog } from '../event-log.js';
import { scheduled, suiteEventLog } from '../harness.js';
import { fastServer, matrixOf, stubActivities, type StubOptions } from './stub-release.js';

const server = fastServer();
const platforms = matrixOf(4);
const events = suiteEventLog();

const newRelease = () => ({ project: `events-${randomBytes(3).toString('hex')}`, version: '2.0.0' });
const logged = (input: { project: string; version: string }) => eventsOf(events().log, 'default', input);

async function run(input: { project: string; version: string }, options: Partial<StubOptions> = {}) {
  const { activities } = stubActivities({ ...input, events: events().log, ...options });
  return server().workers(activities, platforms);
}

async function untilWaiting(handle: { query: (query: typeof statusQuery) => Promise<ReleaseStatus> }) {
  return until('the release to wait for an operator', async () => {
    const status = await handle.query(statusQuery);
    return status.state === 'waiting' ? status : undefined;
  });
}

const ofEntity = (events: ReleaseCloudEvent[], prefix: string) =>
  events.map(described).filter((line) => line.startsWith(prefix));

describe('the release events', () => {
  it('log every change: numbered 1..N, each entity in its machine order, folding into the final status', async () => {
    const input = newRelease();
    const workers = await run(input);
    const handle = await server().start(input);
    const status = await workers.runUntil(handle.result());
    const events = await logged(input);
    const [only] = expectWholeLog(events, status);
    expect(only?.every((event) => event.runid === handle.firstExecutionRunId)).toBe(true);
    expect(ofEntity(events, 'release')).toEqual([
      'release queued',
      'release preparing',
      'release running',
      'release succeeded',
    ]);
    for (const stage of ['build', 'checksum', 'publish', 'checksum-repo', 'container-repo', 'website']) {
      expect(ofEntity(events, `stage ${stage} `)).toEqual([`stage ${stage} running`, `stage ${stage} succeeded`]);
    }
    for (const { distro, arch } of platforms) {
      expect(ofEntity(events, `build ${distro}/${arch} `)).toEqual([
        `build ${distro}/${arch} queued`,
        `build ${distro}/${arch} built`,
      ]);
    }
    for (const artifact of status.artifacts) {
      expect(artifact.state).toBe('published');
      expect(ofEntity(events, `artifact ${artifact.file} `)).toEqual(
        ['digested', 'uploaded', 'published'].map((state) => `artifact ${artifact.file} ${state}`),
      );
    }
    const first = events[0];
    expect(first).toMatchObject({
      source: releaseWorkflowId(input.project, input.version),
      type: 'dev.relforge.release.queued.v1',
      id: `${releaseWorkflowId(input.project, input.version)}#1`,
    });
    // The queueing happened when the run was started; the rest in workflow time after it.
    const started = (await handle.describe()).startTime.toISOString();
    expect(first?.time).toBe(started);
    expect(events.every((event, index) => index === 0 || event.time >= started)).toBe(true);
  });

  it('continue through a release parked and resumed, and end cancelled when one is aborted', async () => {
    const resumed = newRelease();
    const workers = await run(resumed, { failing: { activity: 'uploadArtifacts', times: 1 } });
    const handle = await server().start(resumed);
    const status = await workers.runUntil(async () => {
      await untilWaiting(handle);
      await handle.executeUpdate(resumeUpdate, { args: [{ note: 'fixed the bucket' }] });
      return handle.result();
    });
    const events = await logged(resumed);
    expectWholeLog(events, status);
    expect(ofEntity(events, 'release')).toEqual(
      ['queued', 'preparing', 'running', 'waiting', 'running', 'succeeded'].map((state) => `release ${state}`),
    );
    expect(ofEntity(events, 'stage publish ')).toEqual(
      ['running', 'waiting', 'running', 'succeeded'].map((state) => `stage publish ${state}`),
    );

    const aborted = newRelease();
    const abortWorkers = await run(aborted, { failing: { activity: 'uploadArtifacts', times: 1 } });
    const abortHandle = await server().start(aborted);
    const failure = await abortWorkers.runUntil(async () => {
      await untilWaiting(abortHandle);
      await abortHandle.signal(abortSignal, { reason: 'wrong bucket' });
      return abortHandle.result().catch((error: unknown) => error);
    });
    const final = ((failure as WorkflowFailedError).cause as { details?: unknown[] }).details?.[0] as ReleaseStatus;
    const abortEvents = await logged(aborted);
    expectWholeLog(abortEvents, final);
    expect(ofEntity(abortEvents, 'release').slice(-2)).toEqual(['release waiting', 'release cancelled']);
    expect(ofEntity(abortEvents, 'stage publish ')).toEqual(
      ['running', 'waiting', 'failed'].map((state) => `stage publish ${state}`),
    );
  });

  it('continue the sequence in a new run after a lost one, which starts with the whole status', async () => {
    const input = newRelease();
    const workers = await run(input, { failing: { activity: 'updateWebsite', times: 1 } });
    const first = await server().start(input);
    const status = await workers.runUntil(async () => {
      // Lost once its parking is in the log (events the outbox had not sent yet would be lost with the run).
      const lostAt = await until('the parking in the log', async () => {
        const events = await logged(input);
        return events.some((event) => described(event) === 'release waiting') ? events.length : undefined;
      });
      await first.terminate('lost, for the test');
      // As `relforge resume` does for a lost run: a new run of the same id and input.
      const next = await server().client.workflow.start<typeof releaseWorkflow>('release', {
        taskQueue,
        workflowId: first.workflowId,
        args: [input],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
      const result = await next.result();
      return { result, lostAt, runId: next.firstExecutionRunId };
    });
    const events = await logged(input);
    const runs = expectWholeLog(events, status.result);
    expect(runs.map((events) => events[0]?.runid)).toEqual([first.firstExecutionRunId, status.runId]);
    expect(runs[0]).toHaveLength(status.lostAt);
    expect(runs[1]?.[0]?.data.sequence).toBe(status.lostAt + 1);
    expect(described(runs[0]?.at(-1) as ReleaseCloudEvent)).toBe('release waiting');
    expect(ofEntity(runs[1] ?? [], 'release')).toEqual(
      ['queued', 'preparing', 'running', 'succeeded'].map((state) => `release ${state}`),
    );
  });

  it('are off for a run whose worker has no event log: the run says so once and sends none', async () => {
    const input = newRelease();
    const workers = await run(input, { events: undefined });
    const handle = await server().start(input);
    expect((await workers.runUntil(handle.result())).state).toBe('succeeded');
    expect(await scheduled(handle, 'openEventLog')).toBe(1);
    expect(await scheduled(handle, 'publishEvents')).toBe(0);
    expect(await logged(input)).toEqual([]);
  });
});
