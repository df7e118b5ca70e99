/**
 * The release workflow: build → checksum → publish → checksum repo →
 * container repo → website, one activity (or one per build target) a step.
 * It decides and records; every effect happens in an activity that checks
 * before it creates, so a retried step never does anything twice.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import { RelforgeProject, RelforgeStage, RelforgeState, RelforgeVersion } from '@relforge/temporal-names';
import type { ReleaseActivities } from './activities.js';
import {
  abortSignal,
  resumeUpdate,
  statusQuery,
  type AbortInput,
  type DigestedArtifact,
  type ReleaseInput,
  type ReleasePlan,
  type ReleaseStatus,
  type ResumeInput,
  type Stage,
  type StageStatus,
} from './shared.js';

const retry = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 10,
} satisfies ActivityOptions['retry'];

/** Talks to a forge, S3 or git remotes: heartbeats, so a dead worker is noticed in 30 s, not at the timeout. */
const remoteStep: ActivityOptions = { startToCloseTimeout: '30 minutes', heartbeatTimeout: '30 seconds', retry };

const { prepareRelease } = proxyActivities<ReleaseActivities>({ startToCloseTimeout: '2 minutes', retry });
const { checksumArtifacts } = proxyActivities<ReleaseActivities>({ ...remoteStep, startToCloseTimeout: '1 hour' });
const {
  uploadArtifacts,
  stageForgeRelease,
  publishForgeRelease,
  updateChecksumRepo,
  updateContainerRepo,
  updateWebsite,
} = proxyActivities<ReleaseActivities>(remoteStep);

export async function release(input: ReleaseInput): Promise<ReleaseStatus> {
  const status: ReleaseStatus = {
    project: input.project,
    version: input.version,
    state: 'preparing',
    stages: [],
    artifacts: [],
    audit: [],
  };
  setHandler(statusQuery, () => status);
  let decision: { resume: ResumeInput } | { abort: AbortInput } | undefined;
  setHandler(
    resumeUpdate,
    (resume) => {
      decision = { resume: resume ?? {} };
      return { resumed: status.currentStage as Stage };
    },
    { validator: (resume) => validateResume(resume, status) },
  );
  setHandler(abortSignal, (abort) => {
    decision = { abort: { reason: String(abort?.reason ?? 'no reason given') } };
  });
  upsertSearchAttributes([
    { key: RelforgeProject, value: input.project },
    { key: RelforgeVersion, value: input.version },
    { key: RelforgeState, value: 'preparing' },
  ]);

  let plan: ReleasePlan;
  try {
    plan = await prepareRelease({ ...input, startedAt: new Date().toISOString() });
  } catch (error) {
    return fail(status, error);
  }
  // Recorded once prepare has accepted the re-release and its reason.
  if (input.rerelease)
    status.audit.push({
      at: plan.startedAt,
      action: 'rerelease',
      note: input.rerelease.reason,
      ...(input.rerelease.by ? { by: input.rerelease.by } : {}),
    });
  status.state = 'running';
  status.sourceCommit = plan.sourceCommit;
  status.stages = plan.stages.map((name): StageStatus => ({ name, state: 'pending', outputs: {} }));
  upsertSearchAttributes([{ key: RelforgeState, value: 'running' }]);

  const { buildTarget, buildSourceTarball } = proxyActivities<ReleaseActivities>({
    startToCloseTimeout: plan.config.build.timeout,
    heartbeatTimeout: '30 seconds',
    retry,
  });

  let artifacts: DigestedArtifact[] = [];
  const urls = new Map<string, string>();
  const run: Record<Stage, () => Promise<Record<string, string>>> = {
    build: async () => {
      const built = await Promise.all([
        ...plan.targets.map((target) => buildTarget({ plan, target })),
        ...(plan.config.build.sourceTarball ? [buildSourceTarball({ plan })] : []),
      ]);
      // Later stages need digests; until checksum runs, carry the paths with empty digests no step may trust.
      artifacts = built.map((artifact) => ({ ...artifact, sha256: '', sha512: '' }));
      return { artifacts: String(built.length) };
    },
    checksum: async () => {
      artifacts = await checksumArtifacts({ plan, artifacts });
      status.artifacts = artifacts.map(({ file, size, sha256, sha512 }) => ({ file, size, sha256, sha512 }));
      return { files: String(artifacts.length) };
    },
    publish: async () => {
      const uploaded = await uploadArtifacts({ plan, artifacts });
      for (const object of uploaded.objects) urls.set(object.file, object.url);
      status.artifacts = status.artifacts.map((artifact) => ({ ...artifact, url: urls.get(artifact.file) }));
      const staged = await stageForgeRelease({ plan, artifacts });
      const published = await publishForgeRelease({ plan, releaseId: staged.releaseId, artifacts });
      return {
        s3: `${uploaded.uploaded} uploaded, ${uploaded.unchanged} already there`,
        assets: `${staged.uploaded} uploaded, ${staged.unchanged} already there`,
        release: published.url,
      };
    },
    'checksum-repo': async () => {
      const result = await updateChecksumRepo({ plan, artifacts });
      return {
        ...(result.commit ? { commit: result.commit } : {}),
        lines: `${result.added} added, ${result.unchanged} already there`,
      };
    },
    'container-repo': async () => {
      const result = await updateContainerRepo({ plan, artifacts });
      return { pullRequest: result.url, branch: result.branch };
    },
    website: async () => {
      const result = await updateWebsite({ plan, artifacts });
      return { pullRequest: result.url, branch: result.branch };
    },
  };

  for (const stage of status.stages) {
    status.currentStage = stage.name;
    stage.startedAt = new Date().toISOString();
    upsertSearchAttributes([{ key: RelforgeStage, value: stage.name }]);
    for (;;) {
      stage.state = 'running';
      stage.attempts = (stage.attempts ?? 0) + 1;
      try {
        stage.outputs = await run[stage.name]();
        stage.state = 'succeeded';
        break;
      } catch (error) {
        stage.error = messageOf(error);
        // A step that failed for good waits for a person instead of failing the release (older runs failed at once).
        if (!(error instanceof ActivityFailure) || !patched('wait-for-operator')) {
          stage.state = 'failed';
          stage.finishedAt = new Date().toISOString();
          return fail(status, error);
        }
        stage.state = 'waiting';
        status.state = 'waiting';
        status.error = stage.error;
        upsertSearchAttributes([{ key: RelforgeState, value: 'waiting-for-operator' }]);
        decision = undefined;
        await condition(() => decision !== undefined);
        const chosen = decision as unknown as { resume: ResumeInput } | { abort: AbortInput };
        if ('abort' in chosen) {
          status.audit.push({
            at: new Date().toISOString(),
            action: 'abort',
            stage: stage.name,
            note: chosen.abort.reason,
          });
          stage.state = 'failed';
          stage.finishedAt = new Date().toISOString();
          return fail(
            status,
            ApplicationFailure.nonRetryable(`aborted by an operator: ${chosen.abort.reason}`, 'ReleaseAborted'),
          );
        }
        status.audit.push({
          at: new Date().toISOString(),
          action: 'resume',
          stage: stage.name,
          ...(chosen.resume.note ? { note: chosen.resume.note } : {}),
        });
        if (chosen.resume.reloadConfig) {
          // The new config applies to what is left; the commit being released and its start date stay.
          const reloaded = await prepareRelease({ ...input, startedAt: plan.startedAt });
          plan = { ...reloaded, sourceCommit: plan.sourceCommit, startedAt: plan.startedAt };
        }
        status.state = 'running';
        status.error = undefined;
        stage.error = undefined;
        upsertSearchAttributes([{ key: RelforgeState, value: 'running' }]);
      }
    }
    stage.finishedAt = new Date().toISOString();
  }
  status.state = 'succeeded';
  status.currentStage = undefined;
  upsertSearchAttributes([{ key: RelforgeState, value: 'succeeded' }]);
  return status;
}

/** Refuses a resume the release cannot take, naming the field, before anything is recorded in history. */
function validateResume(resume: unknown, status: ReleaseStatus): void {
  if (status.state !== 'waiting') {
    throw ApplicationFailure.nonRetryable(
      `release ${status.project} ${status.version} is not waiting for an operator (it is ${status.state})`,
      'NotWaiting',
    );
  }
  if (resume === undefined || resume === null) return;
  if (typeof resume !== 'object' || Array.isArray(resume))
    throw ApplicationFailure.nonRetryable(
      'resume: expected an object such as {"note": "fixed the token"}',
      'InvalidResume',
    );
  for (const [field, value] of Object.entries(resume)) {
    if (field === 'reloadConfig' && typeof value !== 'boolean')
      throw ApplicationFailure.nonRetryable('resume.reloadConfig: expected true or false', 'InvalidResume');
    else if (field === 'note' && typeof value !== 'string')
      throw ApplicationFailure.nonRetryable('resume.note: expected a string', 'InvalidResume');
    else if (field !== 'reloadConfig' && field !== 'note') {
      throw ApplicationFailure.nonRetryable(
        `resume.${field}: unknown field; expected reloadConfig (boolean) or note (string)`,
        'InvalidResume',
      );
    }
  }
}

function messageOf(error: unknown): string {
  // An activity's failure arrives wrapped: the cause carries the activity's own message.
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function fail(status: ReleaseStatus, error: unknown): never {
  status.state = 'failed';
  status.error = messageOf(error);
  upsertSearchAttributes([{ key: RelforgeState, value: 'failed' }]);
  // A run refused because the version is out already keeps that type, so clients can show the release that completed.
  const cause = (error as { cause?: unknown }).cause;
  const alreadyReleased = cause instanceof ApplicationFailure && cause.type === 'AlreadyReleased';
  // The final status rides along as the failure's details, so it can be read without a worker to query.
  throw ApplicationFailure.create({
    message: `release ${status.project} ${status.version} failed: ${status.error}`,
    type: alreadyReleased ? 'AlreadyReleased' : 'ReleaseFailed',
    nonRetryable: true,
    details: [status],
  });
}
