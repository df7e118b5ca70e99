/**
 * The approval stage with stub activities on a real dev server and a real JetStream: a release that waits before
 * publish until two distinct approvers approve its digest set, and every way an approval is refused or the wait ends.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import {
  abortSignal,
  ApprovalRefusedType,
  approveUpdate,
  isDigestSetFile,
  releaseWorkflowId,
  ReleaseFailureType,
  resumeUpdate,
  statusQuery,
  type ApprovalRefusal,
  type ApproveInput,
  type ReleaseInput,
  type ReleaseStatus,
} from '@relforge/release';
import type { release } from '@relforge/release/workflows';
import { RelforgeState, taskQueue } from '@relforge/temporal-names';
import { decodedHistory, until } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { described, eventsOf, expectWholeLog } from '../event-log.js';
import { recordedHistories, suiteEventLog, workflowBundle } from '../harness.js';
import { fastServer, matrixOf, stubActivities, type StubOptions } from './stub-release.js';

const server = fastServer();
const platforms = matrixOf(4);
const events = suiteEventLog();

const approvalConfig = (extra = '') => `
approval:
  required: 2
  approvers:
    users: [alice, bob]
    teams: [relforge-examples/release-managers]
${extra}`;

const newRelease = (extra: Partial<ReleaseInput> = {}): ReleaseInput => ({
  project: `approve-${randomBytes(3).toString('hex')}`,
  version: '3.1.0',
  startedBy: { login: 'alice', via: 'cli' },
  ...extra,
});

async function workersFor(input: ReleaseInput, options: Partial<StubOptions> = {}) {
  const stubs = stubActivities({ ...input, events: events().log, extraConfig: approvalConfig(), ...options });
  return { ...stubs, workers: await server().workers(stubs.activities, platforms) };
}

type Handle = WorkflowHandle<typeof release>;

const untilState = (handle: Handle, state: ReleaseStatus['state']) =>
  until(`the release to be ${state}`, async () => {
    const status = await handle.query(statusQuery);
    return status.state === state ? status : undefined;
  });

/** The refusal an approve update got: its message and the rule and field its details name. */
async function refusalOf(handle: Handle, input: ApproveInput): Promise<{ message: string } & ApprovalRefusal> {
  const error = await handle.executeUpdate(approveUpdate, { args: [input] }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (error as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  const failure = cause as ApplicationFailure;
  expect(failure.type).toBe(ApprovalRefusedType);
  return { message: failure.message, ...(failure.details?.[0] as ApprovalRefusal) };
}

describe('the approval stage', () => {
  it('holds the release before publish until two distinct approvers approve its digest set, then publishes', async () => {
    const input = newRelease();
    const { workers, calls } = await workersFor(input);
    const handle = await server().start(input);
    const status = await workers.runUntil(async () => {
      const waiting = await untilState(handle, 'awaiting-approval');
      expect(waiting.stages.map((stage) => `${stage.name} ${stage.state}`)).toEqual([
        'build succeeded',
        'checksum succeeded',
        'approval awaiting-approval',
        'publish pending',
        'checksum-repo pending',
        'container-repo pending',
        'website pending',
      ]);
      expect((await handle.describe()).typedSearchAttributes.get(RelforgeState)).toBe('awaiting-approval');
      const approval = waiting.approval;
      const sums = waiting.artifacts.find((artifact) => artifact.file.endsWith('-SHA256SUMS'));
      expect(approval).toMatchObject({
        digest: sums?.sha256,
        file: sums?.file,
        before: 'publish',
        required: 2,
        approvals: [],
        startedBy: { login: 'alice', via: 'cli' },
      });
      expect(approval?.covers.map((covered) => covered.file)).toHaveLength(5);
      const digest = approval?.digest ?? '';
      // Nothing after the gate ran while it waits.
      expect(calls.some((call) => call.name === 'uploadArtifacts')).toBe(false);

      expect(await refusalOf(handle, { digest, login: 'alice' })).toMatchObject({
        rule: 'self-approval',
        field: 'approve.login',
        message: expect.stringContaining('alice started release') as unknown,
      });
      const wrong = 'f'.repeat(64);
      expect(await refusalOf(handle, { digest: wrong, login: 'bob' })).toMatchObject({
        rule: 'digest',
        field: 'approve.digest',
        message: `approve.digest: ${wrong} is not the digest set of release ${input.project} 3.1.0, which is ${digest} (the sha256 of ${sums?.file}); the artifacts may have changed since you checked them`,
      });
      expect(await refusalOf(handle, { digest, login: 'mallory' })).toMatchObject({ rule: 'approver' });
      // A team of someone else's, not the config's, makes nobody an approver.
      expect(await refusalOf(handle, { digest, login: 'mallory', teams: ['other/admins'] })).toMatchObject({
        rule: 'approver',
      });

      const first = await handle.executeUpdate(approveUpdate, { args: [{ digest, login: 'bob', via: 'token' }] });
      expect(first).toMatchObject({ required: 2, digest, approved: false, approvals: [{ login: 'bob' }] });
      expect(await refusalOf(handle, { digest, login: 'BOB' })).toMatchObject({ rule: 'repeat-approver' });
      const second = await handle.executeUpdate(approveUpdate, {
        args: [{ digest, login: 'carol', teams: ['relforge-examples/release-managers'], via: 'session' }],
      });
      expect(second).toMatchObject({ approved: true, approvals: [{ login: 'bob' }, { login: 'carol' }] });
      return handle.result();
    });

    expect(status.state).toBe('succeeded');
    expect(status.stages.find((stage) => stage.name === 'approval')?.outputs).toEqual({
      digest: status.approval?.digest,
      approvedBy: 'bob, carol',
    });
    expect(calls.filter((call) => call.name === 'uploadArtifacts')).toHaveLength(1);
    const logged = await eventsOf(events().log, 'default', input);
    expectWholeLog(logged, status);
    const lines = logged.map(described);
    expect(lines.filter((line) => line.startsWith('approval') || line.includes('awaiting-approval'))).toEqual([
      'stage approval awaiting-approval',
      'release awaiting-approval',
      'approval bob given',
      'approval carol given',
    ]);
    expect(lines.indexOf('approval carol given')).toBeLessThan(lines.indexOf('stage publish running'));

    const history = await handle.fetchHistory();
    const json = historyToJSON(history);
    expect(decodedHistory(json)).toContain('"id":"approval-gate"');
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
    if (process.env['RELFORGE_RECORD_HISTORY']) writeFileSync(recordedHistories.approval, `${json}\n`);
  });

  it('parks the release when the approval times out, reminding meanwhile; a resume asks again and keeps the approvals', async () => {
    const input = newRelease();
    const { workers } = await workersFor(input, {
      extraConfig: approvalConfig('  timeout: 3s\n  remind: 1s\n'),
    });
    const handle = await server().start(input);
    const status = await workers.runUntil(async () => {
      const waiting = await untilState(handle, 'awaiting-approval');
      expect(waiting.approval).toMatchObject({ onTimeout: 'wait', deadline: expect.any(String) as unknown });
      const digest = waiting.approval?.digest ?? '';
      await handle.executeUpdate(approveUpdate, { args: [{ digest, login: 'bob' }] });
      const parked = await untilState(handle, 'waiting');
      expect(parked.error).toBe(
        'approval timed out after 3s with 1 of 2 approvals; resume the release to ask for approvals again',
      );
      expect(parked.stages.find((stage) => stage.name === 'approval')?.state).toBe('waiting');
      expect(
        await refusalOf(handle, { digest, login: 'carol', teams: ['relforge-examples/release-managers'] }),
      ).toMatchObject({
        rule: 'not-awaiting-approval',
        message: `release ${input.project} 3.1.0 is not awaiting approval (it is waiting)`,
      });
      await handle.executeUpdate(resumeUpdate, { args: [{ note: 'asking again' }] });
      const again = await untilState(handle, 'awaiting-approval');
      expect(again.approval?.approvals.map((given) => given.login)).toEqual(['bob']);
      await handle.executeUpdate(approveUpdate, {
        args: [{ digest, login: 'carol', teams: ['relforge-examples/release-managers'] }],
      });
      return handle.result();
    });
    expect(status.state).toBe('succeeded');
    const lines = (await eventsOf(events().log, 'default', input)).map(described);
    expect(lines.filter((line) => line.startsWith('approval reminder')).length).toBeGreaterThanOrEqual(2);
    expect(lines).toContain('stage approval waiting');
  });

  it('fails the release, publishing nothing, when the approval times out with onTimeout fail', async () => {
    const input = newRelease();
    const { workers, calls } = await workersFor(input, {
      extraConfig: approvalConfig('  timeout: 2s\n  onTimeout: fail\n'),
    });
    const handle = await server().start(input);
    const failure = await workers.runUntil(
      handle.result().then(
        () => undefined,
        (error: unknown) => error,
      ),
    );
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const status = ((failure as WorkflowFailedError).cause as ApplicationFailure).details?.[0] as ReleaseStatus;
    expect(status.state).toBe('failed');
    expect(status.error).toBe('approval timed out after 2s with 0 of 2 approvals; nothing was published');
    expect(calls.some((call) => call.name === 'uploadArtifacts')).toBe(false);
    expect(ReleaseFailureType.ApprovalTimedOut).toBe('ApprovalTimedOut');
  });

  it('ends cancelled when an operator aborts it while it awaits approval', async () => {
    const input = newRelease();
    const { workers } = await workersFor(input);
    const handle = await server().start(input);
    const status = await workers.runUntil(async () => {
      await untilState(handle, 'awaiting-approval');
      await handle.signal(abortSignal, { reason: 'wrong branch' });
      return handle.result().then(
        () => undefined,
        (error: unknown) => ((error as WorkflowFailedError).cause as ApplicationFailure).details?.[0] as ReleaseStatus,
      );
    });
    expect(status?.state).toBe('cancelled');
    expect(status?.audit).toEqual([
      expect.objectContaining({ action: 'abort', stage: 'approval', note: 'wrong branch' }),
    ]);
  });

  it('lets a prerelease through without approval when approval.prereleases is false, and holds the final', async () => {
    const prerelease = newRelease({ version: '3.1.0-rc.1' });
    const extraConfig = approvalConfig('  prereleases: false\n');
    const { activities } = stubActivities({
      ...prerelease,
      extraConfig,
      failing: { activity: 'uploadArtifacts', times: 1 },
    });
    const handle = await server().start(prerelease);
    const released = await (
      await server().workers(activities, platforms)
    ).runUntil(async () => {
      const parked = await untilState(handle, 'waiting');
      expect(parked.stages.map((stage) => stage.name)).not.toContain('approval');
      expect(parked.approval).toBeUndefined();
      const digest = parked.artifacts.find((artifact) => isDigestSetFile({ ...artifact, kind: 'checksums' }))?.sha256;
      expect(await refusalOf(handle, { digest: digest ?? '', login: 'bob' })).toMatchObject({
        rule: 'not-awaiting-approval',
        message: `release ${prerelease.project} 3.1.0-rc.1 does not wait for an approval (it is waiting; approval.prereleases is false, and 3.1.0-rc.1 is a prerelease)`,
      });
      await handle.executeUpdate(resumeUpdate, { args: [{}] });
      return handle.result();
    });
    expect(released.state).toBe('succeeded');

    const final = { ...prerelease, version: '3.1.0' };
    const { workers } = await workersFor(final, { extraConfig });
    const finalHandle = await server().start(final);
    await workers.runUntil(async () => {
      const waiting = await untilState(finalHandle, 'awaiting-approval');
      expect(waiting.approval).toMatchObject({ before: 'publish', required: 2, approvals: [] });
      await finalHandle.signal(abortSignal, { reason: 'the test ends here' });
      await finalHandle.result().catch(() => undefined);
    });
  });

  it('refuses an approval for a release whose config asks for none, saying so', async () => {
    const input = newRelease();
    const { activities } = stubActivities({
      ...input,
      extraConfig: '',
      failing: { activity: 'uploadArtifacts', times: 1 },
    });
    const workers = await server().workers(activities, platforms);
    const handle = server().client.workflow.getHandle<typeof release>(releaseWorkflowId(input.project, input.version));
    await server().client.workflow.start<typeof release>('release', {
      taskQueue,
      workflowId: handle.workflowId,
      args: [input],
    });
    await workers.runUntil(async () => {
      const parked = await untilState(handle, 'waiting');
      expect(parked.approval).toBeUndefined();
      const digest = parked.artifacts.find((artifact) => isDigestSetFile({ ...artifact, kind: 'checksums' }))?.sha256;
      expect(await refusalOf(handle, { digest: digest ?? '', login: 'bob' })).toEqual({
        rule: 'not-awaiting-approval',
        field: 'approve',
        fix: 'approve a release while `relforge status` shows it awaiting-approval',
        message: `release ${input.project} 3.1.0 does not wait for an approval (it is waiting; its config has no approval section)`,
      });
      await handle.signal(abortSignal, { reason: 'done' });
      await handle.result().catch(() => undefined);
    });
  });

  it('refuses the approval of whoever re-released the version or started a new run of it, named only in its input', async () => {
    // As the stock `temporal` CLI starts it: no startedBy, the re-releaser only in rerelease.by.
    const input = newRelease({
      rerelease: { reason: 'asset deleted by mistake', by: 'bob' },
      resumedBy: [{ login: 'carol', via: 'cli' }],
    });
    delete input.startedBy;
    const { workers } = await workersFor(input);
    const handle = await server().start(input);
    await workers.runUntil(async () => {
      const waiting = await untilState(handle, 'awaiting-approval');
      const digest = waiting.approval?.digest ?? '';
      const release = `release ${input.project} 3.1.0`;
      expect(await refusalOf(handle, { digest, login: 'bob' })).toEqual({
        rule: 'self-approval',
        field: 'approve.login',
        fix: 'ask another approver',
        message: `approve.login: bob re-released ${release} and may not approve it (approval.allowSelfApproval is false)`,
      });
      expect(
        await refusalOf(handle, { digest, login: 'Carol', teams: ['relforge-examples/release-managers'] }),
      ).toEqual({
        rule: 'self-approval',
        field: 'approve.login',
        fix: 'ask another approver',
        message: `approve.login: Carol started a new run of ${release} and may not approve it (approval.allowSelfApproval is false)`,
      });
      await handle.signal(abortSignal, { reason: 'done' });
      await handle.result().catch(() => undefined);
    });
  });
});
