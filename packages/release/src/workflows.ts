/**
 * The release workflow: build → checksum → publish → checksum repo →
 * container repo → website, one activity (or one per build target) a step.
 * It decides and records; every effect happens in an activity that checks
 * before it creates, so a retried step never does anything twice.
 */
import { patched, proxyActivities, setHandler, type ActivityOptions } from '@temporalio/workflow';
import type { ReleaseActivities } from './activities.js';
import { approveUpdate } from './approval.js';
import {
  abortSignal,
  resumeUpdate,
  statusQuery,
  triggerSignal,
  type ReleaseInput,
  type PipelineStage,
  type ReleaseStatus,
  type StageStatus,
} from './shared.js';
import { stepInputs } from './step-inputs.js';
import { buildStage } from './workflows/builds.js';
import { remoteStep } from './workflows/options.js';
import { ReleaseRun } from './workflows/release-run.js';

export { train } from './workflows/train.js';

export async function release(input: ReleaseInput): Promise<ReleaseStatus> {
  const run = new ReleaseRun(input);
  setHandler(statusQuery, () => run.status);
  setHandler(resumeUpdate, (resume) => run.resume(resume), { validator: (resume) => run.validateResume(resume) });
  setHandler(abortSignal, (abort) => run.abort(abort));
  setHandler(approveUpdate, (approval) => run.approve(approval), {
    validator: (approval) => run.approvalGate.validate(approval),
  });
  // A run that began on older code left any trigger signal unhandled; on replay it must stay so.
  if (patched('github-triggers')) setHandler(triggerSignal, (trigger) => run.recordTrigger(trigger));

  await run.prepare();
  const last = run.status.stages.at(-1);
  for (const stage of run.status.stages) {
    await run.runStage(stage, async () => {
      const outputs = await stages[stage.name](run, stage);
      // Inside the last stage, so a failed attestation waits for an operator like any step.
      return stage === last ? { ...outputs, ...(await attest(run)) } : outputs;
    });
  }
  return run.succeed();
}

/** The steps as the Web UI lists them: each call carries a one-line summary of what it does to what. */
const step = (summary: string, options: ActivityOptions = remoteStep) =>
  proxyActivities<ReleaseActivities>({ ...options, summary });
const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** The signed record of where every file went, after the last stage; unsigned releases, and older runs, make none. */
async function attest(run: ReleaseRun): Promise<Record<string, string>> {
  const input = stepInputs.attestPublication(run.plan, run.artifacts, run.placed);
  if (!input || !patched('publish-attestation')) return {};
  const { attestPublication } = step(`attest where ${plural(input.artifacts.length, 'file')} were published`);
  const attested = await attestPublication(input);
  run.attested(attested);
  return { attestation: attested.url };
}

/** Each stage's step: it reads the plan and the artifacts from the run, and returns its outputs for people. */
const stages: Record<PipelineStage, (run: ReleaseRun, stage: StageStatus) => Promise<Record<string, string>>> = {
  approval: (run, stage) => run.approvalGate.run(stage),
  build: buildStage,
  checksum: async (run) => {
    const { checksumArtifacts } = step(`checksum ${plural(run.built.length, 'file')}`, {
      ...remoteStep,
      startToCloseTimeout: '1 hour',
    });
    // Now, from workflow time: when the builds had all ended, as the provenance states.
    const builtAt = new Date().toISOString();
    run.digested(await checksumArtifacts(stepInputs.checksumArtifacts(run.plan, run.built, builtAt)));
    return { files: String(run.artifacts.length) };
  },
  publish: async (run) => {
    const { plan, artifacts } = run;
    const { tag } = plan;
    const { repository } = plan.config.publish.release;
    const { uploadArtifacts } = step(
      `upload ${plural(artifacts.length, 'file')} to s3://${plan.config.publish.s3.bucket}`,
    );
    const uploaded = await uploadArtifacts(stepInputs.uploadArtifacts(plan, artifacts));
    run.uploaded(new Map(uploaded.objects.map((object) => [object.file, object.url])));
    const { stageForgeRelease } = step(
      `draft release ${tag} of ${repository} with ${plural(artifacts.length, 'asset')}`,
    );
    const { publishForgeRelease } = step(`publish release ${tag} of ${repository}`);
    const adopt = run.adoptedRelease(plan.tag);
    const staged = await stageForgeRelease({
      ...stepInputs.stageForgeRelease(plan, artifacts),
      ...(adopt ? { adopt } : {}),
    });
    run.draftedRelease = staged.releaseId;
    const published = await publishForgeRelease(stepInputs.publishForgeRelease(plan, staged.releaseId));
    run.published();
    return {
      s3: `${uploaded.uploaded} uploaded, ${uploaded.unchanged} already there`,
      assets: `${staged.uploaded} uploaded, ${staged.unchanged} already there`,
      release: published.url,
    };
  },
  'checksum-repo': async (run) => {
    const { updateChecksumRepo } = step(`commit hash lines to ${run.plan.config.checksumRepo?.repository}`);
    const result = await updateChecksumRepo(stepInputs.updateChecksumRepo(run.plan, run.artifacts));
    const holding = result.head ?? result.commit;
    if (holding) run.placed.checksumCommit = holding;
    return {
      ...(result.commit ? { commit: result.commit } : {}),
      lines: `${result.added} added, ${result.unchanged} already there`,
    };
  },
  'container-repo': async (run) => {
    const { updateContainerRepo } = step(
      `open the Dockerfiles pull request on ${run.plan.config.containerRepo?.repository}`,
    );
    const result = await updateContainerRepo(stepInputs.updateContainerRepo(run.plan, run.artifacts));
    if (result.url) run.placed.containerPull = { url: result.url, branch: result.branch };
    return { pullRequest: result.url, branch: result.branch };
  },
  website: async (run) => {
    const { updateWebsite } = step(`open the release page pull request on ${run.plan.config.websiteRepo?.repository}`);
    const result = await updateWebsite(stepInputs.updateWebsite(run.plan, run.artifacts));
    if (result.url) run.placed.websitePull = { url: result.url, branch: result.branch };
    return { pullRequest: result.url, branch: result.branch };
  },
};
