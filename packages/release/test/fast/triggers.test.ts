/**
 * Triggers from outside, as the gateway sends them: signal-with-start of the release's one workflow id, each carrying a
 * webhook delivery. The Dask race at the workflow's level: a tag push and a published release for one version, each
 * delivered twice, all at once, give one run that records two triggers, builds the tag's commit once, and adds the
 * assets to the release the person published.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import {
  releaseWorkflowId,
  triggerSignal,
  type ReleaseInput,
  type ReleaseStatus,
  type ReleaseTrigger,
} from '@relforge/release';
import type { DraftInput } from '@relforge/release/step-inputs';
import type { release } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { decodedHistory } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { recordedHistories, workflowBundle } from '../harness.js';
import { fastServer, matrixOf, stubActivities } from './stub-release.js';

const server = fastServer();

function trigger(deliveryId: string, event: ReleaseTrigger['event'], extra: Partial<ReleaseTrigger> = {}) {
  return { via: 'github', deliveryId, event, at: '2025-06-01T12:00:00.000Z', tag: 'v1.5.0', ...extra } as const;
}

/** As the gateway sends a delivery: signal-with-start with the CLI's id policies. */
function deliver(input: ReleaseInput, delivered: ReleaseTrigger) {
  return server().client.workflow.signalWithStart<typeof release, [ReleaseTrigger]>('release', {
    taskQueue,
    workflowId: releaseWorkflowId(input.project, input.version),
    args: [input],
    signal: triggerSignal,
    signalArgs: [delivered],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
  });
}

describe('triggers sent with signal-with-start', () => {
  it('a tag push and a published release, each delivered twice at once, make one release that records both once', async () => {
    const input: ReleaseInput = { project: `fast-${randomBytes(3).toString('hex')}`, version: '1.5.0', fromTag: true };
    const { activities, calls } = stubActivities(input);
    const push = trigger('d-push-1', 'push', { sender: 'maintainer' });
    const published = trigger('d-release-1', 'release', {
      sender: 'maintainer',
      release: { id: 4711, url: 'https://github.com/o/r/releases/tag/v1.5.0' },
    });
    // Delivered before any worker polls: all four reach the one run before its first step is scheduled.
    const handles = await Promise.all([push, published, push, published].map((each) => deliver(input, each)));
    expect(new Set(handles.map((handle) => handle.signaledRunId)).size).toBe(1);
    const handle = server().client.workflow.getHandle<typeof release>(releaseWorkflowId(input.project, input.version));
    const workers = await server().workers(activities, matrixOf(4));
    const status: ReleaseStatus = await workers.runUntil(handle.result());

    expect(status.state).toBe('succeeded');
    expect(status.triggers?.map(({ deliveryId, event }) => [deliveryId, event])).toEqual([
      ['d-push-1', 'push'],
      ['d-release-1', 'release'],
    ]);
    const prepares = calls.filter((call) => call.name === 'prepareRelease');
    expect(prepares).toHaveLength(1);
    expect(prepares[0]?.input).toMatchObject({ fromTag: true });
    const drafts = calls.filter((call) => call.name === 'stageForgeRelease').map((call) => call.input as DraftInput);
    expect(drafts.map((draft) => draft.adopt)).toEqual([{ releaseId: 4711 }]);

    const history = await handle.fetchHistory();
    const json = historyToJSON(history);
    expect(decodedHistory(json)).toContain('"id":"github-triggers"');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
    if (process.env['RELFORGE_RECORD_HISTORY']) writeFileSync(recordedHistories.triggered, `${json}\n`);
  });

  it('adopts no release a trigger for another tag named, and drops a malformed trigger without failing', async () => {
    const input: ReleaseInput = { project: `fast-${randomBytes(3).toString('hex')}`, version: '1.6.0', fromTag: true };
    const { activities, calls } = stubActivities(input);
    const first = await deliver(input, trigger('d-push-2', 'push', { tag: 'v1.6.0' }));
    // A release event for another tag (a stale redelivery, a template changed since) is recorded but adopts nothing.
    await deliver(input, trigger('d-release-other', 'release', { tag: 'v1.6.0-rc1', release: { id: 9, url: '' } }));
    // A malformed signal, as the stock CLI could send, is dropped: a signal cannot be refused.
    await first.signal(triggerSignal, { via: 'github' } as unknown as ReleaseTrigger);
    const workers = await server().workers(activities, matrixOf(4));
    const status = await workers.runUntil(first.result());

    expect(status.state).toBe('succeeded');
    expect(status.triggers?.map((each) => each.deliveryId)).toEqual(['d-push-2', 'd-release-other']);
    const drafts = calls.filter((call) => call.name === 'stageForgeRelease').map((call) => call.input as DraftInput);
    expect(drafts).toHaveLength(1);
    expect(drafts[0]?.adopt).toBeUndefined();
  });
});
