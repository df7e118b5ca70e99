/**
 * Builds routed per platform, with worker processes as people run them: one serves releases, others only build the
 * platforms they name. Every target is built on its platform's queue by a worker of that platform; a platform whose
 * only builder is killed mid-build is finished by the next one, once; a platform with no builder shows as waiting for
 * one, with the command that starts it, and completes when it comes.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { WorkflowHandle } from '@temporalio/client';
import { releaseWorkflowId, statusQuery, type ReleaseStatus } from '@relforge/release';
import type { release } from '@relforge/release/workflows';
import { buildTaskQueue, taskQueue } from '@relforge/temporal-names';
import { createExampleProject, releaseEffects, releasedOnce, type ExampleProject } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { killHard, stopGracefully, suiteClient, until, workerProcess } from './worker-process.js';

const client = suiteClient();

const platforms = ['bookworm/x86_64', 'bookworm/arm64', 'trixie/x86_64', 'trixie/arm64'];
const queueOf = (platform: string) => {
  const [distro = '', arch = ''] = platform.split('/');
  return buildTaskQueue({ distro, arch });
};

interface ActivityRun {
  type?: string | null;
  taskQueue?: string | null;
  /** The worker that ran the attempt recorded: the SDK's default identity is `<pid>@<host>`. */
  pid?: number;
  attempt: number;
  lastFailure?: string | null;
}

/** Each activity as its history records it: where it was queued, and who ran its last attempt. */
async function activityRuns(handle: WorkflowHandle): Promise<ActivityRun[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map(
    events
      .filter((event) => event.activityTaskScheduledEventAttributes)
      .map((event) => [String(event.eventId), event.activityTaskScheduledEventAttributes]),
  );
  return events
    .filter((event) => event.activityTaskStartedEventAttributes)
    .map((event) => {
      const started = event.activityTaskStartedEventAttributes;
      const of = scheduled.get(String(started?.scheduledEventId));
      return {
        type: of?.activityType?.name,
        taskQueue: of?.taskQueue?.name,
        pid: Number(started?.identity?.split('@')[0]),
        attempt: started?.attempt ?? 1,
        lastFailure: started?.lastFailure?.message,
      };
    });
}

/** `TIMEOUT_TYPE_SCHEDULE_TO_START` in temporal.api.enums.v1.TimeoutType, as fetched histories carry it. */
const scheduleToStart = 2;

/** The queues of activities that timed out waiting there for a worker. */
async function scheduleToStartTimeouts(handle: WorkflowHandle): Promise<string[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const queues = new Map(
    events
      .filter((event) => event.activityTaskScheduledEventAttributes)
      .map((event) => [String(event.eventId), event.activityTaskScheduledEventAttributes?.taskQueue?.name ?? '']),
  );
  return events
    .map((event) => event.activityTaskTimedOutEventAttributes)
    .filter((timedOut) => timedOut?.failure?.timeoutFailureInfo?.timeoutType === scheduleToStart)
    .map((timedOut) => queues.get(String(timedOut?.scheduledEventId)) ?? '');
}

function startRelease(example: ExampleProject, version: string) {
  return client().workflow.start<typeof release>('release', {
    taskQueue,
    workflowId: releaseWorkflowId(example.project, version),
    args: [{ project: example.project, version }],
  });
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((child) => stopGracefully(child)));
}

describe('builds routed to the workers of their platform', () => {
  it('builds every target on its platform queue, by a worker that builds that platform, on machines sharing no disk', async () => {
    const example = await createExampleProject();
    const version = '6.0.0';
    // Three machines: each worker has a work folder of its own; files travel through the bucket's staging prefix.
    const machine = (name: string) => join(example.workRoot, '..', name);
    const releases = workerProcess(example, { builds: [], workDir: machine('releases') });
    const bookworm = workerProcess(example, {
      builds: ['bookworm/x86_64', 'bookworm/arm64'],
      serveReleases: false,
      workDir: machine('bookworm'),
    });
    const trixie = workerProcess(example, {
      builds: ['trixie/x86_64', 'trixie/arm64'],
      serveReleases: false,
      workDir: machine('trixie'),
    });
    const builderOf = new Map([
      [queueOf('bookworm/x86_64'), bookworm.pid],
      [queueOf('bookworm/arm64'), bookworm.pid],
      [queueOf('trixie/x86_64'), trixie.pid],
      [queueOf('trixie/arm64'), trixie.pid],
    ]);
    try {
      const handle = await startRelease(example, version);
      const status = await handle.result();
      expect(status.state).toBe('succeeded');
      expect(status.builds?.map((build) => [build.taskQueue, build.state])).toEqual(
        platforms.map((platform) => [queueOf(platform), 'built']),
      );
      expect(await releaseEffects(example, version)).toEqual(releasedOnce);

      const runs = await activityRuns(handle);
      const builds = runs.filter((run) => run.type === 'buildTarget');
      expect(builds.map((run) => run.taskQueue).sort()).toEqual(platforms.map(queueOf).sort());
      for (const build of builds) expect(build.pid).toBe(builderOf.get(build.taskQueue ?? ''));
      // Everything else, the source tarball included, ran on the main queue, on the worker that serves releases.
      const others = runs.filter((run) => run.type !== 'buildTarget');
      expect(others.map((run) => run.type)).toContain('buildSourceTarball');
      expect(others.every((run) => run.taskQueue === taskQueue && run.pid === releases.pid)).toBe(true);
      // Each tarball was made on its platform's machine and fetched by the one that publishes; none was built twice.
      const artifactsOn = (name: string) =>
        readdirSync(join(machine(name), example.project, version, 'artifacts')).filter((file) =>
          file.endsWith('.tar.gz'),
        );
      expect(artifactsOn('bookworm').sort()).toEqual([
        `${example.project}-${version}-bookworm-arm64.tar.gz`,
        `${example.project}-${version}-bookworm-x86_64.tar.gz`,
      ]);
      expect(artifactsOn('trixie')).toHaveLength(2);
      expect(artifactsOn('releases')).toHaveLength(5);
      expect(existsSync(join(machine('releases'), example.project, version, 'build', 'bookworm-arm64'))).toBe(false);
    } finally {
      await stopAll([releases, bookworm, trixie]);
    }
  }, 180_000);

  it("finishes the release once when a platform's only builder is killed mid-build and another starts", async () => {
    // The build runs a few seconds, as real ones do; its output folder appears just before the command starts.
    const example = await createExampleProject({ buildCommand: 'sleep 3 && make dist' });
    const version = '6.1.0';
    const releases = workerProcess(example, { builds: ['bookworm/x86_64', 'trixie/x86_64', 'trixie/arm64'] });
    const first = workerProcess(example, { builds: ['bookworm/arm64'], serveReleases: false });
    let second: ChildProcess | undefined;
    try {
      const handle = await startRelease(example, version);
      const out = join(example.workRoot, example.project, version, 'build', 'bookworm-arm64', 'out');
      await until('the bookworm/arm64 build to run', async () => (existsSync(out) ? true : undefined), 120_000, 50);
      await killHard(first);
      expect((await handle.query(statusQuery)).currentStage).toBe('build');

      second = workerProcess(example, { builds: ['bookworm/arm64'], serveReleases: false });
      const status = await handle.result();
      expect(status.state).toBe('succeeded');
      expect(await releaseEffects(example, version)).toEqual(releasedOnce);

      const builds = (await activityRuns(handle)).filter((run) => run.type === 'buildTarget');
      const arm = builds.filter((run) => run.taskQueue === queueOf('bookworm/arm64'));
      // One activity, its dead attempt noticed by the heartbeat timeout and run again by the new builder.
      expect(arm).toHaveLength(1);
      expect(arm[0]?.pid).toBe(second.pid);
      expect(arm[0]?.attempt).toBeGreaterThan(1);
      expect(arm[0]?.lastFailure).toMatch(/heartbeat/i);
      const rest = builds.filter((run) => run.taskQueue !== queueOf('bookworm/arm64'));
      expect(rest.every((run) => run.pid === releases.pid && run.attempt === 1)).toBe(true);
    } finally {
      await stopAll([releases, ...(second ? [second] : [])]);
    }
  }, 240_000);

  it('shows a platform with no builder as waiting for one, and completes once a builder starts', async () => {
    const example = await createExampleProject();
    const version = '6.2.0';
    const releases = workerProcess(example, { builds: ['bookworm/x86_64', 'bookworm/arm64', 'trixie/x86_64'] });
    let builder: ChildProcess | undefined;
    try {
      const handle = await startRelease(example, version);
      const waiting = await until(
        'trixie/arm64 to wait for a builder',
        async () => {
          const status = await handle.query(statusQuery).catch(() => undefined);
          return status?.builds?.some((build) => build.state === 'waiting-for-builder') ? status : undefined;
        },
        90_000,
        250,
      );
      expect(waiting.state).toBe('running');
      expect(waiting.currentStage).toBe('build');
      expect(waiting.builds?.filter((build) => build.state === 'waiting-for-builder')).toEqual([
        {
          target: { distro: 'trixie', arch: 'arm64' },
          taskQueue: 'relforge-build-trixie-arm64',
          state: 'waiting-for-builder',
          waitingSince: expect.any(String),
          startBuilder: 'relforge worker --builds trixie/arm64',
        },
      ]);
      expect(waiting.stages.find((stage) => stage.name === 'checksum')?.state).toBe('pending');

      builder = workerProcess(example, { builds: ['trixie/arm64'], serveReleases: false });
      const status: ReleaseStatus = await handle.result();
      expect(status.state).toBe('succeeded');
      expect(status.builds?.every((build) => build.state === 'built' && build.startBuilder === undefined)).toBe(true);
      expect(await releaseEffects(example, version)).toEqual(releasedOnce);

      // It waited in its queue and timed out there, never failed; the builder that came built it.
      const timedOut = await scheduleToStartTimeouts(handle);
      expect(timedOut.length).toBeGreaterThan(0);
      expect(new Set(timedOut)).toEqual(new Set([queueOf('trixie/arm64')]));
      const arm = (await activityRuns(handle)).filter((run) => run.taskQueue === queueOf('trixie/arm64'));
      expect(arm.map((run) => [run.pid, run.attempt])).toEqual([[builder.pid, 1]]);
      const events = (await handle.fetchHistory()).events ?? [];
      expect(events.filter((event) => event.activityTaskFailedEventAttributes)).toEqual([]);
    } finally {
      await stopAll([releases, ...(builder ? [builder] : [])]);
    }
  }, 240_000);
});
