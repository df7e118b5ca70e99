/**
 * Builds the Relforge worker: every workflow and activity on the one task queue.
 * `main.ts` runs it as a process; tests run it in-process against the same code.
 */
import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { Git } from '@relforge/git';
import { createReleaseActivities, type ReleaseActivities, type ReleaseServices } from '@relforge/release/activities';
import * as smokeActivities from '@relforge/smoke/activities';
import { taskQueue } from '@relforge/temporal-names';

export interface RelforgeWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** What release activities run against: the projects, the work folder, the environment holding secrets. */
  release: Omit<ReleaseServices, 'git'> & { git?: Git };
  /** A prebuilt bundle, so tests pay for webpack once per suite. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  identity?: string;
}

export const workflowsPath = fileURLToPath(new URL('./workflows.js', import.meta.url));

export function relforgeActivities(
  release: RelforgeWorkerOptions['release'],
): typeof smokeActivities & ReleaseActivities {
  return { ...smokeActivities, ...createReleaseActivities({ ...release, git: release.git ?? new Git() }) };
}

export function createRelforgeWorker(options: RelforgeWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue,
    activities: relforgeActivities(options.release),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    ...(options.identity ? { identity: options.identity } : {}),
    shutdownGraceTime: '10 seconds',
  });
}
