/**
 * The release events through faults, on the real servers with the real activities: the NATS server SIGKILLed and
 * started again on its store mid-release, and a run lost mid-release and replaced by a new one. Each time the log
 * must hold every event once, numbered 1..N, folding into the release's final status.
 */
import { createReleaseActivities } from '@relforge/release/activities';
import { releaseWorkflowId, queuedSearchAttributes, type ReleaseStatus } from '@relforge/release';
import type { release as releaseWorkflow } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { createExampleProject, releaseEffects, releasedOnce, testStack, until } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { described, eventsOf, expectWholeLog } from './event-log.js';
import { connect, releaseWorker, servicesFor, startRelease, suiteEventLog, type Connections } from './harness.js';

const events = suiteEventLog();
let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

const namespace = () => testStack().temporal.namespace;

describe('the release events, when things break', () => {
  it('lose nothing and repeat nothing when NATS is killed mid-release and started again on its store', async () => {
    const example = await createExampleProject();
    const { log, nats } = events();
    const version = '8.0.0';
    const release = { project: example.project, version };
    const handle = await startRelease(connections, example, version);
    const worker = await releaseWorker(connections, createReleaseActivities({ ...servicesFor(example), events: log }));
    const { status, retried } = await worker.runUntil(async () => {
      await until('the build stage in the log', async () =>
        (await eventsOf(log, namespace(), release)).some((event) => described(event) === 'stage build running')
          ? true
          : undefined,
      );
      await nats.kill();
      // Down until an append has failed and Temporal is retrying it: the release goes on meanwhile.
      const retrying = await until('an event step retried while NATS is down', async () => {
        const { raw } = await handle.describe();
        return raw.pendingActivities?.find(
          (activity) => activity.activityType?.name === 'publishEvents' && (activity.attempt ?? 0) > 1,
        );
      });
      await nats.restart();
      return { status: (await handle.result()) as ReleaseStatus, retried: retrying.attempt };
    });
    expect(status.state).toBe('succeeded');
    expect(retried).toBeGreaterThan(1);
    const logged = await eventsOf(log, namespace(), release);
    expectWholeLog(logged, status);
    expect(logged.at(-1)?.type).toBe('dev.relforge.release.succeeded.v1');
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);
  });

  it('continue the numbering in the run that replaces a lost one', async () => {
    const example = await createExampleProject();
    const { log } = events();
    const version = '8.1.0';
    const release = { project: example.project, version };
    const first = await startRelease(connections, example, version);
    const worker = await releaseWorker(connections, createReleaseActivities({ ...servicesFor(example), events: log }));
    const { status, runId } = await worker.runUntil(async () => {
      await until('the publish stage done in the log', async () =>
        (await eventsOf(log, namespace(), release)).some((event) => described(event) === 'stage publish succeeded')
          ? true
          : undefined,
      );
      await first.terminate('lost, for the test');
      // As `relforge resume` starts a lost release again: a new run of its id, with its input.
      const next = await connections.client.workflow.start<typeof releaseWorkflow>('release', {
        taskQueue,
        workflowId: releaseWorkflowId(example.project, version),
        args: [release],
        typedSearchAttributes: queuedSearchAttributes(release),
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
      return { status: await next.result(), runId: next.firstExecutionRunId };
    });
    expect(status.state).toBe('succeeded');
    const logged = await eventsOf(log, namespace(), release);
    const runs = expectWholeLog(logged, status);
    expect(runs.map((run) => run[0]?.runid)).toEqual([first.firstExecutionRunId, runId]);
    // What the lost run had stored stays, and the new run numbers on from it (what it had not sent is gone with it).
    expect(runs[0]?.map(described)).toContain('stage publish succeeded');
    expect(runs[1]?.[0]?.data.sequence).toBe((runs[0]?.length ?? 0) + 1);
    expect(runs[1]?.filter((event) => event.subject === 'publish').map(described)).toEqual([
      'stage publish running',
      'stage publish succeeded',
    ]);
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);
  });
});
