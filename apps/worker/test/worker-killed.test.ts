/**
 * The worker process SIGKILLed during each stage of a release in turn. A new
 * worker finishes the release, and everything is found exactly once. Where the
 * kill lands during a call to the forge or a push, the GitHub stand-in holds that
 * request and carries it out after the worker is dead: the reply that never came,
 * which the retried step must find instead of repeating.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { serverBinary } from '@relforge/local-servers';
import { releaseWorkflowId, statusQuery, type ReleaseStatus } from '@relforge/release';
import type { release } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import {
  createExampleProject,
  exampleSecrets,
  releaseEffects,
  releasedOnce,
  secretsInHistory,
  testS3Client,
  testStack,
  type ExampleProject,
} from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { killHard, stopGracefully, suiteClient, until, workerProcess } from './worker-process.js';

const client = suiteClient();

async function objectCount(example: ExampleProject): Promise<number> {
  const s3 = testS3Client();
  try {
    // Published objects only: the staged copies are made at the build and checksum stages.
    return (await s3.send(new ListObjectsV2Command({ Bucket: example.bucket, Prefix: 'releases/' }))).KeyCount ?? 0;
  } finally {
    s3.destroy();
  }
}

const held = async (example: ExampleProject) => ((await example.admin.state()).held.now > 0 ? true : undefined);

/** Long enough that the worker is surely killed while the request is held, short against the 30 s heartbeat timeout. */
const holdMs = 3_000;

interface KillPoint {
  what: string;
  /** The stage the status query must show when the worker dies. */
  stage: ReleaseStatus['currentStage'];
  /** The activities that may have been running, and so attempted again; the first one must have been. */
  activities: string[];
  buildCommand?: string;
  arm?(example: ExampleProject): Promise<void>;
  /** True at the moment to kill. */
  caught(example: ExampleProject, version: string): Promise<true | undefined>;
}

const killPoints: KillPoint[] = [
  {
    what: 'the build',
    stage: 'build',
    activities: ['buildTarget', 'buildSourceTarball'],
    // The build runs a few seconds, as real ones do; its output folder appears just before the command starts.
    buildCommand: 'sleep 3 && make dist',
    caught: async (example, version) => {
      const builds = join(example.workRoot, example.project, version, 'build');
      return existsSync(builds) && readdirSync(builds).some((target) => existsSync(join(builds, target, 'out')))
        ? true
        : undefined;
    },
  },
  {
    what: 'the S3 upload',
    stage: 'publish',
    activities: ['uploadArtifacts'],
    caught: async (example) => {
      const uploaded = await objectCount(example);
      return uploaded > 0 && uploaded < releasedOnce.objects ? true : undefined;
    },
  },
  {
    what: 'the creation of the forge release',
    stage: 'publish',
    activities: ['stageForgeRelease'],
    arm: (example) =>
      example.admin.addFault({ match: { method: 'POST', path: `^/repos/${example.repos.source}/releases$` }, holdMs }),
    caught: held,
  },
  {
    what: 'the push of the checksum commit',
    stage: 'checksum-repo',
    activities: ['updateChecksumRepo'],
    arm: (example) =>
      example.admin.addFault({
        match: { method: 'POST', path: `^/${example.repos.hashes}\\.git/git-receive-pack$` },
        holdMs,
      }),
    caught: held,
  },
  {
    what: 'the container repository pull request',
    stage: 'container-repo',
    activities: ['updateContainerRepo'],
    arm: (example) =>
      example.admin.addFault({ match: { method: 'POST', path: `^/repos/${example.repos.container}/pulls$` }, holdMs }),
    caught: held,
  },
  {
    what: 'the website pull request',
    stage: 'website',
    activities: ['updateWebsite'],
    arm: (example) =>
      example.admin.addFault({ match: { method: 'POST', path: `^/repos/${example.repos.website}/pulls$` }, holdMs }),
    caught: held,
  },
];

/** The history as the stock CLI exports it, for the secret scan: what an operator would attach to a bug report. */
function exportedHistory(handle: WorkflowHandle): string {
  const { temporal } = testStack();
  return execFileSync(
    serverBinary('temporal'),
    [
      'workflow',
      'show',
      '--workflow-id',
      handle.workflowId,
      '--namespace',
      temporal.namespace,
      '--address',
      temporal.address,
      '--output',
      'json',
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
}

describe('a worker killed with SIGKILL', () => {
  it.each(killPoints)(
    'during $what is replaced by a new worker that finishes the release with every effect made once',
    async (point) => {
      const example = await createExampleProject(point.buildCommand ? { buildCommand: point.buildCommand } : {});
      const version = '5.0.0';
      // The stand-in is shared by the whole file: count this test's holds from here.
      const heldBefore = (await example.admin.state()).held.total;
      await point.arm?.(example);
      const handle = await client().workflow.start<typeof release>('release', {
        taskQueue,
        workflowId: releaseWorkflowId(example.project, version),
        args: [{ project: example.project, version }],
      });
      const first = workerProcess(example);
      let stageAtKill: ReleaseStatus['currentStage'];
      try {
        await until(`the worker to be in ${point.what}`, () => point.caught(example, version), 120_000, 50);
        stageAtKill = (await handle.query(statusQuery)).currentStage;
      } finally {
        await killHard(first);
      }
      expect(first.signalCode).toBe('SIGKILL');
      expect(stageAtKill).toBe(point.stage);

      const second = workerProcess(example);
      try {
        const status = (await handle.result()) as ReleaseStatus;
        expect(status.state).toBe('succeeded');
      } finally {
        await stopGracefully(second);
      }

      expect(await releaseEffects(example, version)).toEqual(releasedOnce);
      if (point.arm) expect((await example.admin.state()).held).toEqual({ now: 0, total: heldBefore + 1 });

      // The step that died was noticed by its heartbeat timeout and run again, and it was the only one.
      const history = await handle.fetchHistory();
      const attempts = (history.events ?? [])
        .filter((event) => event.activityTaskStartedEventAttributes && event.eventId)
        .map((event) => {
          const scheduled = history.events?.find(
            (candidate) =>
              candidate.eventId?.toString() === event.activityTaskStartedEventAttributes?.scheduledEventId?.toString(),
          );
          return {
            type: scheduled?.activityTaskScheduledEventAttributes?.activityType?.name,
            attempt: event.activityTaskStartedEventAttributes?.attempt ?? 1,
            failure: event.activityTaskStartedEventAttributes?.lastFailure?.message,
          };
        });
      const retried = attempts.filter((started) => started.attempt > 1);
      expect(retried.length).toBeGreaterThan(0);
      const retriedTypes = new Set(retried.map((started) => started.type));
      expect(retriedTypes).toContain(point.activities[0]);
      expect([...retriedTypes].filter((type) => !point.activities.includes(type ?? ''))).toEqual([]);
      expect(retried.every((started) => /heartbeat/i.test(started.failure ?? ''))).toBe(true);

      const secrets = exampleSecrets(example);
      expect(secretsInHistory(historyToJSON(history), secrets)).toEqual([]);
      expect(secretsInHistory(exportedHistory(handle), secrets)).toEqual([]);
    },
    240_000,
  );
});
