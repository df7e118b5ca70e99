/**
 * The fast tier: the release workflow's decisions with stub activities, in seconds. The real activities, servers and
 * effects are the other suites' job; here it is the order of the stages, parking and resuming, aborting, a version
 * released already, and a platform waiting for its builder.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, WorkflowUpdateFailedError } from '@temporalio/client';
import { type ApplicationFailure } from '@temporalio/common';
import { abortSignal, ReleaseFailureType, resumeUpdate, statusQuery, type ReleaseStatus } from '@relforge/release';
import { RelforgeState } from '@relforge/temporal-names';
import { until } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { fastServer, matrixOf, stubActivities, type StubOptions } from './stub-release.js';

const server = fastServer();
const platforms = matrixOf(4);

const newRelease = (extra: Partial<StubOptions> = {}) => ({
  project: `fast-${randomBytes(3).toString('hex')}`,
  version: '1.4.0',
  ...extra,
});

/** The failure a release ended with: its type, and the final status carried as its details. */
async function failureOf(result: Promise<unknown>): Promise<{ type?: string; message: string; status: ReleaseStatus }> {
  const error = await result.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
  return { type: cause.type ?? undefined, message: cause.message, status: cause.details?.[0] as ReleaseStatus };
}

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

describe('the release workflow with stub activities', () => {
  it('runs prepare, the builds, then each stage in order, each step once, and pins the config', async () => {
    const input = newRelease();
    const { activities, calls } = stubActivities(input);
    const workers = await server().workers(activities, platforms);
    const handle = await server().start(input);
    const status = await workers.runUntil(handle.result());

    expect(status.state).toBe('succeeded');
    expect(status.stages.map((stage) => [stage.name, stage.state, stage.attempts])).toEqual(
      ['build', 'checksum', 'publish', 'checksum-repo', 'container-repo', 'website'].map((name) => [
        name,
        'succeeded',
        1,
      ]),
    );
    const names = calls.map((call) => call.name);
    expect(names.slice(0, 1)).toEqual(['prepareRelease']);
    expect(new Set(names.slice(1, 6))).toEqual(new Set(['buildTarget', 'buildSourceTarball']));
    expect(names.filter((name) => name === 'buildTarget')).toHaveLength(4);
    expect(names.slice(6)).toEqual([
      'checksumArtifacts',
      'uploadArtifacts',
      'stageForgeRelease',
      'publishForgeRelease',
      'updateChecksumRepo',
      'updateContainerRepo',
      'updateWebsite',
    ]);
    expect(status.config).toEqual({
      path: `/etc/relforge/${input.project}.yaml`,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    // 5 tarballs, a sidecar each, SHA256SUMS and SHA512SUMS, each with its download URL.
    expect(status.artifacts).toHaveLength(12);
    expect(status.artifacts.every((artifact) => artifact.url?.startsWith('http'))).toBe(true);
    expect(status.builds?.map((build) => build.state)).toEqual(['built', 'built', 'built', 'built']);
    expect((await handle.describe()).typedSearchAttributes.get(RelforgeState)).toBe('succeeded');
  });

  it('signs a release with a checked key: signing files published, then the publish attestation in the last stage', async () => {
    const input = newRelease();
    const { activities, calls } = stubActivities({
      ...input,
      signed: true,
      failing: { activity: 'attestPublication', times: 1, type: ReleaseFailureType.DigestConflict },
    });
    const workers = await server().workers(activities, platforms);
    const handle = await server().start(input);
    const status = await workers.runUntil(async () => {
      // A failed attestation waits for an operator in the last stage, like any step there.
      const waiting = await untilWaiting(handle);
      expect(waiting.currentStage).toBe('website');
      await handle.executeUpdate(resumeUpdate, { args: [{ note: 'removed the stray attestation' }] });
      return handle.result();
    });
    expect(status.state).toBe('succeeded');
    const names = calls.map((call) => call.name);
    // The resumed stage runs again as a whole: its pull request is found, not opened twice (the real step's job).
    expect(names.slice(-5)).toEqual([
      'updateContainerRepo',
      'updateWebsite',
      'attestPublication',
      'updateWebsite',
      'attestPublication',
    ]);
    const inputOf = (name: string) => calls.find((call) => call.name === name)?.input as Record<string, unknown>;
    // Every step is told only the key's public half and where its secret is: the value never enters history.
    expect(inputOf('checksumArtifacts')['signing']).toMatchObject({
      key: { env: 'RELFORGE_RELEASE_KEY' },
      publicKey: expect.stringMatching(/^ssh-ed25519 /),
      builtAt: expect.any(String),
    });
    expect(inputOf('uploadArtifacts')['signed']).toBe(true);
    expect(inputOf('stageForgeRelease')['releaseKey']).toMatchObject({
      fingerprint: expect.stringMatching(/^SHA256:/),
    });
    // The attestation is told where the stages put the release: the checksum commit and both pull requests.
    expect(inputOf('attestPublication')).toMatchObject({
      checksumRepo: { commit: expect.stringMatching(/^[0-9a-f]{40}$/) },
      containerRepo: { pull: { url: expect.stringContaining('/pull/7'), branch: 'update-1.4.0' } },
      websiteRepo: { pull: { url: expect.stringContaining('/pull/9'), branch: 'update-website-1.4.0' } },
    });
    // 12 files, 2 signatures and the provenance, then the publish attestation: each listed once, with its URL.
    expect(status.artifacts.map((artifact) => artifact.file).slice(-4)).toEqual([
      `${input.project}-1.4.0-SHA256SUMS.sig`,
      `${input.project}-1.4.0-SHA512SUMS.sig`,
      `${input.project}-1.4.0.provenance.intoto.jsonl`,
      `${input.project}-1.4.0.publish.intoto.jsonl`,
    ]);
    expect(status.artifacts).toHaveLength(16);
    expect(status.stages.find((stage) => stage.name === 'website')?.outputs['attestation']).toMatch(
      /publish\.intoto\.jsonl$/,
    );
  });

  it('parks a step that failed for good, refuses resumes it cannot take, and runs only that step again', async () => {
    const input = newRelease();
    const { activities, calls } = stubActivities({
      ...input,
      failing: { activity: 'updateChecksumRepo', times: 1 },
      reloadedTimeout: '7m',
    });
    const workers = await server().workers(activities, platforms);
    const handle = await server().start(input);
    const status = await workers.runUntil(async () => {
      // Asked while it still builds: a release that is not parked has nothing to resume.
      const early = await handle.executeUpdate(resumeUpdate, { args: [{}] }).catch((error: unknown) => error);
      expect(((early as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(
        ReleaseFailureType.NotWaiting,
      );
      const waiting = await untilWaiting(handle);
      expect(waiting.currentStage).toBe('checksum-repo');
      expect(waiting.error).toContain('failed for good');
      expect((await handle.describe()).typedSearchAttributes.get(RelforgeState)).toBe('waiting-for-operator');
      const invalid = await handle
        .executeUpdate(resumeUpdate, { args: [{ note: 42 } as never] })
        .catch((error: unknown) => error);
      expect(invalid).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(((invalid as WorkflowUpdateFailedError).cause as ApplicationFailure).type).toBe(
        ReleaseFailureType.InvalidResume,
      );
      expect(await handle.executeUpdate(resumeUpdate, { args: [{ note: 'fixed', reloadConfig: true }] })).toEqual({
        resumed: 'checksum-repo',
      });
      return handle.result();
    });

    expect(status.state).toBe('succeeded');
    expect(status.audit.map((entry) => [entry.action, entry.stage, entry.note])).toEqual([
      ['resume', 'checksum-repo', 'fixed'],
    ]);
    const count = (name: string) => calls.filter((call) => call.name === name).length;
    expect([
      count('prepareRelease'),
      count('buildTarget'),
      count('updateChecksumRepo'),
      count('updateWebsite'),
    ]).toEqual([2, 4, 2, 1]);
    expect(status.stages.find((stage) => stage.name === 'checksum-repo')?.attempts).toBe(2);
  });

  it('applies a reloaded build.timeout to builds run again after a resume', async () => {
    const input = newRelease();
    const { activities } = stubActivities({
      ...input,
      failing: { activity: 'buildSourceTarball', times: 1, type: ReleaseFailureType.BuildFailed },
      reloadedTimeout: '7m',
    });
    const workers = await server().workers(activities, platforms);
    const handle = await server().start(input);
    await workers.runUntil(async () => {
      await untilWaiting(handle);
      await handle.executeUpdate(resumeUpdate, { args: [{ reloadConfig: true }] });
      return handle.result();
    });
    const timeouts = ((await handle.fetchHistory()).events ?? [])
      .map((event) => event.activityTaskScheduledEventAttributes)
      .filter((scheduled) => scheduled?.activityType?.name === 'buildTarget')
      .map((scheduled) => Number(scheduled?.startToCloseTimeout?.seconds));
    // The first builds under the first config's 5m, the builds of the resumed stage under the reloaded 7m.
    expect(timeouts).toEqual([300, 300, 300, 300, 420, 420, 420, 420]);
  });

  it('cancels a parked release on the abort signal, with the reason in its audit', async () => {
    const input = newRelease();
    const { activities, calls } = stubActivities({ ...input, failing: { activity: 'uploadArtifacts', times: 1 } });
    const workers = await server().workers(activities, platforms);
    const handle = await server().start(input);
    const failure = await workers.runUntil(async () => {
      await untilWaiting(handle);
      await handle.signal(abortSignal, { reason: 'wrong bucket' });
      return failureOf(handle.result());
    });
    expect(failure.type).toBe(ReleaseFailureType.ReleaseFailed);
    expect(failure.message).toContain('aborted by an operator: wrong bucket');
    expect(failure.status.state).toBe('cancelled');
    expect(failure.status.stages.find((stage) => stage.name === 'publish')?.state).toBe('failed');
    expect(failure.status.audit.map((entry) => [entry.action, entry.stage, entry.note])).toEqual([
      ['abort', 'publish', 'wrong bucket'],
    ]);
    expect(calls.map((call) => call.name)).not.toContain('stageForgeRelease');
    expect((await handle.describe()).typedSearchAttributes.get(RelforgeState)).toBe('cancelled');
  });

  it('ends a run of a version released already as AlreadyReleased, having run no step', async () => {
    const input = newRelease();
    const { activities, calls } = stubActivities({ ...input, alreadyReleased: true });
    const workers = await server().workers(activities, platforms);
    const handle = await server().start(input);
    const failure = await workers.runUntil(failureOf(handle.result()));
    expect(failure.type).toBe(ReleaseFailureType.AlreadyReleased);
    expect(failure.status.error).toContain('was already released');
    expect(calls.map((call) => call.name)).toEqual(['prepareRelease']);
  });

  it('shows a platform without a builder as waiting for one, and finishes when one polls its queue', async () => {
    const input = newRelease();
    const { activities, calls } = stubActivities(input);
    const [missing, ...built] = [...platforms].reverse();
    const workers = await server().workers(activities, built);
    const handle = await server().start(input);
    const waiting = await workers.runUntil(async () =>
      until(
        'a build to wait for its builder',
        async () => {
          const status = await handle.query(statusQuery);
          return status.builds?.some((build) => build.state === 'waiting-for-builder') ? status : undefined;
        },
        60_000,
        200,
      ),
    );
    expect(waiting.state).toBe('running');
    expect(waiting.builds?.filter((build) => build.state !== 'built')).toEqual([
      {
        target: missing,
        taskQueue: `relforge-build-${missing?.distro}-${missing?.arch}`,
        state: 'waiting-for-builder',
        waitingSince: expect.any(String),
        startBuilder: `relforge worker --builds ${missing?.distro}/${missing?.arch}`,
      },
    ]);
    const builder = await server().workers(activities, platforms);
    const status = await builder.runUntil(handle.result());
    expect(status.state).toBe('succeeded');
    expect(status.builds?.every((build) => build.state === 'built')).toBe(true);
    expect(calls.filter((call) => call.name === 'buildTarget')).toHaveLength(4);
  });
});
