/**
 * The release workflow: build → checksum → publish → checksum repo →
 * container repo → website, one activity (or one per build target) a step.
 * It decides and records; every effect happens in an activity that checks
 * before it creates, so a retried step never does anything twice.
 */
import { proxyActivities, setHandler } from '@temporalio/workflow';
import type { ReleaseActivities } from './activities.js';
import { abortSignal, resumeUpdate, statusQuery, type ReleaseInput, type ReleaseStatus, type Stage } from './shared.js';
import { stepInputs } from './step-inputs.js';
import { buildStage } from './workflows/builds.js';
import { remoteStep } from './workflows/options.js';
import { ReleaseRun } from './workflows/release-run.js';

export async function release(input: ReleaseInput): Promise<ReleaseStatus> {
  const run = new ReleaseRun(input);
  setHandler(statusQuery, () => run.status);
  setHandler(resumeUpdate, (resume) => run.resume(resume), { validator: (resume) => run.validateResume(resume) });
  setHandler(abortSignal, (abort) => run.abort(abort));

  await run.prepare();
  for (const stage of run.status.stages) await run.runStage(stage, () => stages[stage.name](run));
  return run.succeed();
}

const { checksumArtifacts } = proxyActivities<ReleaseActivities>({ ...remoteStep, startToCloseTimeout: '1 hour' });
const {
  uploadArtifacts,
  stageForgeRelease,
  publishForgeRelease,
  updateChecksumRepo,
  updateContainerRepo,
  updateWebsite,
} = proxyActivities<ReleaseActivities>(remoteStep);

/** Each stage's step: it reads the plan and the artifacts from the run, and returns its outputs for people. */
const stages: Record<Stage, (run: ReleaseRun) => Promise<Record<string, string>>> = {
  build: buildStage,
  checksum: async (run) => {
    run.digested(await checksumArtifacts(stepInputs.checksumArtifacts(run.plan, run.built)));
    return { files: String(run.artifacts.length) };
  },
  publish: async (run) => {
    const { plan, artifacts } = run;
    const uploaded = await uploadArtifacts(stepInputs.uploadArtifacts(plan, artifacts));
    run.uploaded(new Map(uploaded.objects.map((object) => [object.file, object.url])));
    const staged = await stageForgeRelease(stepInputs.stageForgeRelease(plan, artifacts));
    const published = await publishForgeRelease(stepInputs.publishForgeRelease(plan, staged.releaseId));
    run.published();
    return {
      s3: `${uploaded.uploaded} uploaded, ${uploaded.unchanged} already there`,
      assets: `${staged.uploaded} uploaded, ${staged.unchanged} already there`,
      release: published.url,
    };
  },
  'checksum-repo': async (run) => {
    const result = await updateChecksumRepo(stepInputs.updateChecksumRepo(run.plan, run.artifacts));
    return {
      ...(result.commit ? { commit: result.commit } : {}),
      lines: `${result.added} added, ${result.unchanged} already there`,
    };
  },
  'container-repo': async (run) => {
    const result = await updateContainerRepo(stepInputs.updateContainerRepo(run.plan, run.artifacts));
    return { pullRequest: result.url, branch: result.branch };
  },
  website: async (run) => {
    const result = await updateWebsite(stepInputs.updateWebsite(run.plan, run.artifacts));
    return { pullRequest: result.url, branch: result.branch };
  },
};
