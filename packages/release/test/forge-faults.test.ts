/**
 * A whole release while the GitHub stand-in answers with the faults GitHub
 * sends: server errors, rate limits and a refused token. What a retry or a
 * wait can fix is absorbed without a trace in the effects; what only a person
 * can fix parks the release until `resume`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { RelforgeState } from '@relforge/temporal-names';
import { createExampleProject, releaseEffects, releasedOnce, testStack, type ExampleProject } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resumeUpdate, statusQuery, type ReleaseStatus } from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import {
  connect,
  releaseWorker,
  scheduled,
  secretsIn,
  servicesFor,
  startRelease,
  untilState,
  type Connections,
} from './harness.js';
import { remoteRef } from './inspect.js';

let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  status: number;
}

/**
 * The stand-in's own log of the example's API requests, in order, with the time each answer went out. It is the
 * one record of when a retry arrived: the release's activities last 12 s and more anyway (Octokit spaces writes a
 * second apart), so their durations in history could not show a 2 s wait missing.
 */
function requestsOf(example: ExampleProject): LoggedRequest[] {
  // The global setup gives the stand-in `<scratch>/github` as its data folder; it logs to standin.log there.
  const log = readFileSync(join(testStack().scratchDir, 'github', 'standin.log'), 'utf8');
  const prefix = `/repos/${example.owner}/`;
  return log.split('\n').flatMap((line) => {
    const match = /^(\S+) ([A-Z]+) (\S+) (\d{3}) \d+ms$/.exec(line);
    if (!match?.[3]?.startsWith(prefix)) return [];
    return [{ at: Date.parse(match[1] ?? ''), method: match[2] ?? '', path: match[3], status: Number(match[4]) }];
  });
}

const statusesOf = (requests: LoggedRequest[], method: string, path: RegExp) =>
  requests.filter((request) => request.method === method && path.test(request.path)).map((request) => request.status);

/** How long after a faulted answer the next request to the same place came. */
function waitAfter(requests: LoggedRequest[], method: string, path: RegExp, status: number): number {
  const same = requests.filter((request) => request.method === method && path.test(request.path));
  const faulted = same.findIndex((request) => request.status === status);
  const [fault, retry] = [same[faulted], same[faulted + 1]];
  if (!fault || !retry)
    throw new Error(`no ${status} answer to ${method} ${path} followed by another request in the stand-in's log`);
  return retry.at - fault.at;
}

/** Runs a worker until the release ends; a release that parks instead fails the test with the reason it gave. */
async function releaseToTheEnd(
  example: ExampleProject,
  version: string,
): Promise<{ handle: WorkflowHandle; status: ReleaseStatus }> {
  const handle = await startRelease(connections, example, version);
  const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
  const status = await worker.runUntil(async () => {
    const ended = (handle.result() as Promise<ReleaseStatus>).then((result) => ({ result }));
    for (;;) {
      const done = await Promise.race([ended, sleep(200)]);
      if (done) return done.result;
      const now = await handle.query(statusQuery).catch(() => undefined);
      if (now?.state === 'waiting') throw new Error(`the release parked at ${now.currentStage}: ${now.error}`);
    }
  });
  return { handle, status };
}

/** Requests counted by the stand-in (`METHOD operationId`) between two snapshots of its state. */
function requestsBetween(
  before: Record<string, number>,
  after: Record<string, number>,
  keys: string[],
): Record<string, number> {
  return Object.fromEntries(keys.map((key) => [key, (after[key] ?? 0) - (before[key] ?? 0)]));
}

/** The attempt number of each start of an activity of this type, from history. */
async function attemptsOf(handle: WorkflowHandle, activityType: string): Promise<number[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Set(
    events
      .filter((event) => event.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((event) => String(event.eventId)),
  );
  return events.flatMap((event) => {
    const started = event.activityTaskStartedEventAttributes;
    return started && scheduled.has(String(started.scheduledEventId)) ? [started.attempt ?? 0] : [];
  });
}

describe('a release while GitHub fails and rate-limits', () => {
  it(
    'retries server errors, waits out rate limits as long as told, and does everything exactly once',
    { timeout: 300_000 },
    async () => {
      const example = await createExampleProject();
      const version = '2.4.0';
      const { source, container, website } = example.repos;
      const releases = new RegExp(`^/repos/${source}/releases$`);
      const uploads = new RegExp(`^/repos/${source}/releases/\\d+/assets$`);
      const containerPulls = new RegExp(`^/repos/${container}/pulls$`);
      const websitePulls = new RegExp(`^/repos/${website}/pulls$`);
      await example.admin.addFault({ match: { method: 'GET', path: releases.source }, status: 502 });
      await example.admin.addFault({ match: { method: 'POST', path: releases.source }, status: 500 });
      // Octokit spaces writes 1 s apart, and writes that notify people (pull requests, releases) 3 s apart: each wait
      // told here is longer, so a retry that ignored it would come measurably sooner.
      await example.admin.addFault({
        match: { method: 'POST', path: uploads.source },
        status: 429,
        headers: { 'retry-after': '2' },
      });
      // The stand-in fills in x-ratelimit-reset when it answers (the next whole second): a reset fixed now would be
      // long past by the time the release reaches the container repository, and there would be nothing to wait for.
      await example.admin.addFault({
        match: { method: 'GET', path: containerPulls.source },
        status: 403,
        headers: { 'x-ratelimit-remaining': '0' },
      });
      await example.admin.addFault({ match: { method: 'POST', path: containerPulls.source }, status: 502 });
      await example.admin.addFault({
        match: { method: 'POST', path: websitePulls.source },
        status: 403,
        headers: { 'retry-after': '4' },
      });
      const before = (await example.admin.state()).requests;

      const { handle, status } = await releaseToTheEnd(example, version);

      expect(status.state).toBe('succeeded');
      const state = await example.admin.state();
      expect(state.faultsPending).toBe(0);
      // Each faulted request was sent once more, and nothing else was: one create, three listings (find before the
      // draft, find before publishing, and the 502), twelve uploads and the 429, two pull requests and their faults.
      expect(
        requestsBetween(before, state.requests, [
          'POST repos/create-release',
          'GET repos/list-releases',
          'POST repos/upload-release-asset',
          'GET pulls/list',
          'POST pulls/create',
        ]),
      ).toEqual({
        'POST repos/create-release': 2,
        'GET repos/list-releases': 3,
        'POST repos/upload-release-asset': 13,
        'GET pulls/list': 3,
        'POST pulls/create': 4,
      });
      const logged = requestsOf(example);
      expect(statusesOf(logged, 'GET', releases)).toEqual([502, 200, 200]);
      expect(statusesOf(logged, 'POST', releases)).toEqual([500, 201]);
      expect(statusesOf(logged, 'POST', uploads)).toEqual([429, ...Array<number>(12).fill(201)]);
      expect(statusesOf(logged, 'GET', containerPulls)).toEqual([403, 200]);
      expect(statusesOf(logged, 'POST', containerPulls)).toEqual([502, 201]);
      expect(statusesOf(logged, 'POST', websitePulls)).toEqual([403, 201]);

      // Waited at least as long as told, less 100 ms for the log's clock.
      expect(waitAfter(logged, 'POST', uploads, 429)).toBeGreaterThanOrEqual(1_900);
      expect(waitAfter(logged, 'POST', websitePulls, 403)).toBeGreaterThanOrEqual(3_900);
      const limited = logged.find((request) => request.status === 403 && containerPulls.test(request.path));
      if (!limited) throw new Error("the primary rate limit is missing from the stand-in's log");
      const reset = (Math.floor(limited.at / 1000) + 1) * 1000;
      expect(limited.at + waitAfter(logged, 'GET', containerPulls, 403)).toBeGreaterThanOrEqual(reset);

      // Octokit's plugins absorbed every fault: no activity needed a second attempt.
      const history = await handle.fetchHistory();
      const attempts =
        history.events?.flatMap((event) =>
          event.activityTaskStartedEventAttributes ? [event.activityTaskStartedEventAttributes.attempt] : [],
        ) ?? [];
      expect(attempts.length).toBeGreaterThan(0);
      expect(attempts.every((attempt) => attempt === 1)).toBe(true);

      expect(await releaseEffects(example, version)).toEqual(releasedOnce);
      expect(await secretsIn(connections, example, handle.workflowId)).toEqual([]);
    },
  );
});

describe('a token refused while opening the container pull request', () => {
  it('parks the release; a resume opens the pull request from the branch already pushed, and everything happens once', async () => {
    const example = await createExampleProject();
    const version = '2.5.0';
    const branch = `update-${version}`;
    // The publish stage's 401 is in refusals.test.ts; here the refusal comes after the branch was pushed.
    await example.admin.addFault({
      match: { method: 'POST', path: `^/repos/${example.repos.container}/pulls$` },
      status: 401,
    });
    const handle = await startRelease(connections, example, version);
    const worker = await releaseWorker(connections, createReleaseActivities(servicesFor(example)));
    const status = await worker.runUntil(async () => {
      const waiting = await untilState(handle, 'waiting');
      expect(waiting.currentStage).toBe('container-repo');
      expect(waiting.stages.map((stage) => [stage.name, stage.state])).toEqual([
        ['build', 'succeeded'],
        ['checksum', 'succeeded'],
        ['publish', 'succeeded'],
        ['checksum-repo', 'succeeded'],
        ['container-repo', 'waiting'],
        ['website', 'pending'],
      ]);
      expect(waiting.error).toContain('the forge refused the credentials while trying to open a pull request');
      expect(waiting.error).toContain('environment variable RELFORGE_GITHUB_TOKEN');
      expect(waiting.error).not.toContain(example.env['RELFORGE_GITHUB_TOKEN']);
      expect((await handle.describe()).typedSearchAttributes.get(RelforgeState)).toBe('waiting-for-operator');
      // The Web UI shows what it waits for and the commands that end the wait, in the run's current details.
      const { currentDetails } = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
      expect(currentDetails).toContain('**Waiting for an operator** at container-repo');
      expect(currentDetails).toContain('environment variable RELFORGE_GITHUB_TOKEN');
      expect(currentDetails).toContain(`\`relforge resume ${example.project} ${version}\``);
      expect(currentDetails).not.toContain(example.env['RELFORGE_GITHUB_TOKEN']);
      expect((await example.admin.state()).faultsPending).toBe(0);
      expect(await remoteRef(example.repos.container, branch)).toMatch(/^[0-9a-f]{40}$/);

      const resumed = await handle.executeUpdate(resumeUpdate, { args: [{ note: 'rotated the token' }] });
      expect(resumed).toEqual({ resumed: 'container-repo' });
      return (await handle.result()) as ReleaseStatus;
    });

    expect(status.state).toBe('succeeded');
    expect(status.audit.map((entry) => [entry.action, entry.stage, entry.note])).toEqual([
      ['resume', 'container-repo', 'rotated the token'],
    ]);
    expect(status.stages.find((stage) => stage.name === 'container-repo')?.attempts).toBe(2);
    // Refused credentials are not retried: one attempt before the resume, one after.
    expect(await scheduled(handle, 'updateContainerRepo')).toBe(2);
    const pulls = (await example.admin.state()).repos[example.repos.container]?.pulls ?? [];
    expect(pulls.map((pull) => [pull.head, pull.state])).toEqual([[branch, 'open']]);
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);
    expect(await secretsIn(connections, example, handle.workflowId)).toEqual([]);
  });
});

describe('a rate limit that outlasts the heartbeat timeout while publishing', () => {
  it(
    'is waited out by the attempt that met it, heartbeating all along, and the release is published once',
    { timeout: 300_000 },
    async () => {
      const example = await createExampleProject();
      const version = '2.6.0';
      const publish = new RegExp(`^/repos/${example.repos.source}/releases/\\d+$`);
      // GitHub's secondary rate limits ask for a minute at times; the remote steps' heartbeat timeout is 30 s.
      await example.admin.addFault({
        match: { method: 'PATCH', path: publish.source },
        status: 403,
        headers: { 'retry-after': '40' },
      });

      const { handle, status } = await releaseToTheEnd(example, version);

      expect(status.state).toBe('succeeded');
      expect((await example.admin.state()).faultsPending).toBe(0);
      // A step that went quiet while it waited would be timed out and run again beside the one still waiting.
      expect(await attemptsOf(handle, 'publishForgeRelease')).toEqual([1]);
      expect(statusesOf(requestsOf(example), 'PATCH', publish)).toEqual([403, 200]);
      expect(waitAfter(requestsOf(example), 'PATCH', publish, 403)).toBeGreaterThanOrEqual(39_900);
      expect(await releaseEffects(example, version)).toEqual(releasedOnce);
    },
  );
});
