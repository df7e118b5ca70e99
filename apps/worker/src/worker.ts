/**
 * Builds the Relforge worker: every workflow and release step on the main task queue, and the builds of the
 * platforms this machine can build, each on its platform's queue — one SDK worker per queue, one process, one
 * connection. `main.ts` runs it as a process; tests run it in-process against the same code.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { InputError } from '@relforge/errors';
import { Git } from '@relforge/git';
import type { BuildTarget } from '@relforge/release';
import { createReleaseActivities, type ReleaseActivities, type ReleaseServices } from '@relforge/release/activities';
import { buildTaskQueue, taskQueue } from '@relforge/temporal-names';
import { cachedWorkflowBundle } from '@relforge/workflow-bundle';

export interface RelforgeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** What release activities run against: the projects, the work folder, the environment holding secrets. */
  release: Omit<ReleaseServices, 'git'> & { git?: Git };
  /** The platforms this worker builds, each polled on its own task queue (`relforge-build-<distro>-<arch>`). */
  builds?: BuildTarget[];
  /** Also serve the main queue: every workflow and every step but the platform builds. Default true. */
  serveReleases?: boolean;
  /** A prebuilt bundle, so tests pay for webpack once per suite. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
}

/** The SDK workers of one process, run and stopped together. */
export interface RelforgeWorker {
  /** The task queues polled: the main queue first when served, then one per platform built. */
  taskQueues: string[];
  /** Runs every worker until SIGTERM/SIGINT (the SDK's runtime shuts them down gracefully) or `shutdown()`. */
  run(): Promise<void>;
  /** Runs every worker until `until` settles, then stops them all; rejects if it or any worker does. */
  runUntil<R>(until: Promise<R> | (() => Promise<R>)): Promise<R>;
  shutdown(): void;
}

/** Long polls per platform queue: two, so a build is taken while the other poll is being answered. */
const buildPollers = 2;

export const workflowsPath = fileURLToPath(new URL('./workflows.js', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

export function relforgeActivities(release: RelforgeWorkerOptions['release']): ReleaseActivities {
  return createReleaseActivities({ ...release, git: release.git ?? new Git() });
}

export async function createRelforgeWorker(options: RelforgeWorkerOptions): Promise<RelforgeWorker> {
  const serveReleases = options.serveReleases ?? true;
  const builds = options.builds ?? [];
  if (!serveReleases && builds.length === 0) {
    throw new InputError('this worker would poll no task queue: it serves no releases and builds no platform', {
      fix: 'name the platforms it builds (--builds bookworm/arm64 or RELFORGE_BUILDS), or let it serve releases',
    });
  }
  const activities = relforgeActivities(options.release);
  const common = {
    connection: options.connection,
    namespace: options.namespace,
    ...(options.identity ? { identity: options.identity } : {}),
    shutdownGraceTime: '10 seconds',
  };
  const workers: Worker[] = [];
  if (serveReleases) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue,
        activities,
        workflowBundle: options.workflowBundle ?? (await cachedWorkflowBundle(packageDir, workflowsPath)),
      }),
    );
  }
  // A builder runs only builds: the steps that publish stay with the workers of the main queue. Few pollers and a
  // core's worth of builds per platform: with the SDK's defaults (10 pollers, 100 activities) a worker of a
  // 200-platform matrix holds 2,000 long polls, past the namespace's poller limit, and a worker of 9 platforms runs
  // 900 builds at once on a 2-core machine, so builds miss their heartbeat and run again (measured by the scale bench).
  for (const platform of builds) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: buildTaskQueue(platform),
        activities: { buildTarget: activities.buildTarget },
        maxConcurrentActivityTaskExecutions: availableParallelism(),
        activityTaskPollerBehavior: { type: 'simple-maximum', maximum: buildPollers },
      }),
    );
  }
  return workerGroup(workers);
}

function workerGroup(workers: Worker[]): RelforgeWorker {
  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  // One worker failing stops the others: a process that half-polls would leave its queues waiting silently.
  const together = async (runs: Promise<unknown>[]): Promise<void> => {
    const failures: unknown[] = [];
    await Promise.all(
      runs.map((run) =>
        run.catch((error: unknown) => {
          failures.push(error);
          shutdown();
        }),
      ),
    );
    if (failures.length > 0) throw failures[0];
  };
  return {
    taskQueues: workers.map((worker) => worker.options.taskQueue),
    run: () => together(workers.map((worker) => worker.run())),
    async runUntil(until) {
      const ending = typeof until === 'function' ? until() : until;
      await together(workers.map((worker) => worker.runUntil(ending)));
      return ending;
    },
    shutdown,
  };
}
