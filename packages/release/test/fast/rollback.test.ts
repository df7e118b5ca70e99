/**
 * The rollback's decisions with stub activities: which undo steps an abort with rollback runs, in which order, with
 * what they are told, and what the final status lists. The effects themselves are apps/cli/test/rollback.test.ts's.
 * The history of the first test is the recorded fixture `recordedHistories.rollback`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { abortSignal, resumeUpdate, statusQuery, type ReleaseStatus } from '@relforge/release';
import type { WithdrawPullInput, WithdrawStagedInput, WithdrawUploadsInput } from '@relforge/release/rollback-inputs';
import { decodedHistory, until } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { recordedHistories, workflowBundle } from '../harness.js';
import { fastServer, matrixOf, stubActivities, type Call } from './stub-release.js';

const server = fastServer();
const platforms = matrixOf(4);

const newRelease = (version: string) => ({ project: `fast-${randomBytes(3).toString('hex')}`, version });

async function untilWaiting(handle: { query: (query: typeof statusQuery) => Promise<ReleaseStatus> }) {
  return until(
    'the release to wait for an operator',
    async () => {
      const status = await handle.query(statusQuery);
      return status.state === 'waiting' ? status : undefined;
    },
    30_000,
    100,
  );
}

async function finalStatus(result: Promise<unknown>): Promise<ReleaseStatus> {
  const error = await result.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return ((error as WorkflowFailedError).cause as ApplicationFailure).details?.[0] as ReleaseStatus;
}

const withdrawals = (calls: Call[]) => calls.filter((call) => call.name.startsWith('withdraw'));

describe('an abort with rollback', () => {
  it('of a release waiting at its last stage undoes its effects newest first and keeps the checksum commit', async () => {
    const input = newRelease('2.0.0');
    const { activities, calls } = stubActivities({ ...input, failing: { activity: 'updateWebsite', times: 1 } });
    const workers = await server().workers(activities, platforms);
    const handle = await server().start(input);
    const final = await workers.runUntil(async () => {
      await untilWaiting(handle);
      await handle.signal(abortSignal, { reason: 'the website moves', rollback: true });
      return finalStatus(handle.result());
    });

    expect(final.state).toBe('cancelled');
    const steps = withdrawals(calls);
    expect(steps.map((call) => call.name)).toEqual([
      'withdrawPullRequest',
      'withdrawPullRequest',
      'withdrawForgeRelease',
      'withdrawUploads',
      'withdrawStagedFiles',
    ]);
    const [website, container] = steps.map((call) => call.input as WithdrawPullInput);
    expect([website?.branch, container?.branch]).toEqual(['update-website-2.0.0', 'update-2.0.0']);
    // The draft the publish stage made is named, so a retried step can report it even once it is gone.
    expect(steps[2]?.input).toMatchObject({ tag: 'v2.0.0', releaseId: 4711 });
    const uploads = steps[3]?.input as WithdrawUploadsInput;
    expect(uploads.uploaded).toHaveLength(uploads.artifacts.length);
    expect(uploads.release.tag).toBe('v2.0.0');
    const staged = steps[4]?.input as WithdrawStagedInput;
    expect(staged.files).toHaveLength(uploads.artifacts.length);

    expect(final.rollback?.state).toBe('done');
    expect(final.rollback?.kept.map((item) => item.what)).toEqual([
      expect.stringMatching(/^commit [0-9a-f]{12} on main of relforge-examples\/hello-hashes/),
    ]);
    expect(final.rollback?.removed[0]?.what).toBe('pull request #7 of relforge-examples/hello-website: closed');
    expect(final.rollback?.removed).toHaveLength(2 + 2 + 1 + uploads.artifacts.length * 2);
    expect(final.audit.map((entry) => [entry.action, entry.stage, entry.note])).toEqual([
      ['abort', 'website', 'the website moves'],
    ]);

    const history = await handle.fetchHistory();
    const json = historyToJSON(history);
    expect(decodedHistory(json)).toContain('"id":"abort-rollback"');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
    if (process.env['RELFORGE_RECORD_HISTORY']) writeFileSync(recordedHistories.rollback, `${json}\n`);
  });

  it('of a release waiting at publish undoes only what publish and the builds made, and refuses a resume meanwhile', async () => {
    const input = newRelease('2.1.0');
    const { activities, calls } = stubActivities({ ...input, failing: { activity: 'publishForgeRelease', times: 1 } });
    let resumeRefusal: unknown;
    const stubbed = {
      ...activities,
      // A resume sent while the rollback runs is refused by the validator: the release is past waiting.
      withdrawForgeRelease: async (...args: Parameters<typeof activities.withdrawForgeRelease>) => {
        resumeRefusal = await server()
          .client.workflow.getHandle(`release/${input.project}/${input.version}`)
          .executeUpdate(resumeUpdate, { args: [{}] })
          .catch((error: unknown) => error);
        return activities.withdrawForgeRelease(...args);
      },
    };
    const workers = await server().workers(stubbed, platforms);
    const handle = await server().start(input);
    const final = await workers.runUntil(async () => {
      await untilWaiting(handle);
      await handle.signal(abortSignal, { reason: 'revoked token', rollback: true });
      return finalStatus(handle.result());
    });
    expect(withdrawals(calls).map((call) => call.name)).toEqual([
      'withdrawForgeRelease',
      'withdrawUploads',
      'withdrawStagedFiles',
    ]);
    expect(final.rollback?.kept).toEqual([]);
    expect(resumeRefusal).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(String((resumeRefusal as WorkflowUpdateFailedError).cause?.message)).toContain('is being rolled back');
  });

  it('without rollback (or with anything but true) undoes nothing and records no patch marker', async () => {
    const input = newRelease('2.2.0');
    const { activities, calls } = stubActivities({ ...input, failing: { activity: 'publishForgeRelease', times: 1 } });
    const workers = await server().workers(activities, platforms);
    const handle = await server().start(input);
    const final = await workers.runUntil(async () => {
      await untilWaiting(handle);
      await handle.signal(abortSignal, { reason: 'no', rollback: 'yes' as unknown as boolean });
      return finalStatus(handle.result());
    });
    expect(final.state).toBe('cancelled');
    expect(final.rollback).toBeUndefined();
    expect(withdrawals(calls)).toEqual([]);
    expect(decodedHistory(historyToJSON(await handle.fetchHistory()))).not.toContain('"id":"abort-rollback"');
  });
});
