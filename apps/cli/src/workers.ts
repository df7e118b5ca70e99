/**
 * Is anyone serving the release? Temporal lists each task queue's recent pollers with the time of their last poll;
 * a worker long-polls about once a minute, so one seen in the last 90 s is taken as alive. Without this a release
 * started with no worker running waits silently forever.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { StackError } from '@relforge/errors';
import { statusQuery, type ReleaseStatus } from '@relforge/release';
import proto from '@temporalio/proto';
import { taskQueue } from '@relforge/temporal-names';
import { followRelease, type Ended } from './release-state.js';
import type { TemporalTarget } from './temporal-target.js';

const aliveWithinMs = 90_000;

export async function liveWorkers(client: Client, namespace: string, queue = taskQueue): Promise<string[]> {
  const { TaskQueueKind, TaskQueueType } = proto.temporal.api.enums.v1;
  const { pollers } = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: queue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  const now = Date.now();
  return (pollers ?? [])
    .filter((poller) => now - Number(poller.lastAccessTime?.seconds ?? 0) * 1000 < aliveWithinMs)
    .map((poller) => poller.identity ?? 'unnamed worker');
}

export function noWorkerMessage(target: TemporalTarget): string {
  return (
    `no worker is polling task queue "${taskQueue}" on ${target.address} (namespace ${target.namespace}); ` +
    'the release waits until one does. Start one: `relforge worker --config <file>` (locally: `relforge stack up`)'
  );
}

/**
 * A workflow task waiting this long with nobody taking it means no live worker, whatever the poller list says
 * (a worker killed a minute ago is still listed).
 */
const untakenAfterMs = 10_000;

async function untakenForMs(handle: WorkflowHandle): Promise<number> {
  const { raw } = await handle.describe();
  const task = raw.pendingWorkflowTask;
  const { PendingWorkflowTaskState } = proto.temporal.api.enums.v1;
  if (task?.state !== PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED) return 0;
  const scheduled = Number(task.originalScheduledTime?.seconds ?? task.scheduledTime?.seconds ?? Date.now() / 1000);
  return Date.now() - scheduled * 1000;
}

/** Why the release is not moving, or undefined while a worker serves it. */
export async function noWorkerReason(
  client: Client,
  target: TemporalTarget,
  handle: WorkflowHandle,
): Promise<string | undefined> {
  const workers = await liveWorkers(client, target.namespace);
  if (workers.length === 0) return noWorkerMessage(target);
  const waited = await untakenForMs(handle);
  if (waited < untakenAfterMs) return undefined;
  return (
    `no worker has taken the release's next task for ${Math.round(waited / 1000)} s on ${target.address} ` +
    `(last seen polling: ${workers.join(', ')}; they may have stopped). Start one: \`relforge worker --config <file>\` ` +
    '(locally: `relforge stack up`)'
  );
}

/**
 * Says on stderr, within seconds, when no worker serves the release, and again when one does; checks every 3 s
 * until `done` settles. The release is not touched: it goes on as soon as a worker polls.
 */
export async function watchForWorkers(
  client: Client,
  target: TemporalTarget,
  handle: WorkflowHandle,
  done: Promise<unknown>,
): Promise<void> {
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  let warned = false;
  while (!finished) {
    const reason = await noWorkerReason(client, target, handle).catch(() => undefined);
    if (reason && !warned) console.error(`relforge: ${reason}`);
    else if (!reason && warned) console.error('relforge: a worker took the release; continuing');
    warned = reason !== undefined;
    await Promise.race([sleep(3_000), done.catch(() => undefined)]);
  }
}

/** Follows a release to its end (or to waiting for an operator) while watching for workers. */
export async function followWatched(
  client: Client,
  target: TemporalTarget,
  handle: WorkflowHandle,
  onStatus: (status: ReleaseStatus) => void,
): Promise<Ended> {
  const followed = followRelease(handle, onStatus);
  await Promise.all([followed.catch(() => undefined), watchForWorkers(client, target, handle, followed)]);
  return followed;
}

/**
 * The status of a running release, from its worker. A query nobody answers (no worker, or one that died) fails
 * with a transport error or a timeout; that is explained as what it is, with the command that fixes it.
 */
export async function runningStatus(
  client: Client,
  target: TemporalTarget,
  handle: WorkflowHandle,
): Promise<ReleaseStatus> {
  try {
    return await handle.query(statusQuery);
  } catch (error) {
    const reason =
      (await noWorkerReason(client, target, handle).catch(() => undefined)) ??
      `no worker answered its status query (${error instanceof Error ? error.message : String(error)})`;
    throw new StackError(`the release is running, but ${reason}`, {
      fix: 'start a worker: `relforge worker --config <file>` (locally: `relforge stack up`); the release continues where it stopped',
      cause: error,
    });
  }
}
