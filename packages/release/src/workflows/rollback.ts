/**
 * An abort with rollback: the release's effects undone newest first, each by one idempotent step that keeps what was
 * public and names it. The steps follow the stages the run started, so an effect an attempt made before it failed
 * (a branch pushed, a draft created) is found too. A worker that dies mid-rollback is replaced like any other: the
 * workflow resumes at the step it was in, and that step finds what its first attempt removed already gone.
 */
import { ActivityFailure, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ReleaseActivities } from '../activities.js';
import { pullRequestBranch, type WithdrawPullInput, type Withdrawn } from '../rollback-inputs.js';
import type { ReleasePlan, RollbackReport, Stage } from '../shared.js';
import { stepInputs } from '../step-inputs.js';
import { messageOf, type ReleaseRun } from './release-run.js';
import { remoteStep } from './options.js';

const step = (summary: string) => proxyActivities<ReleaseActivities>({ ...remoteStep, summary });

interface Compensation {
  /** What it undoes, for the Web UI and for a step that failed for good. */
  summary: string;
  run(): Promise<Withdrawn>;
}

function pullOf(plan: ReleasePlan, stage: 'container-repo' | 'website'): WithdrawPullInput | undefined {
  const settings = stage === 'website' ? plan.config.websiteRepo : plan.config.containerRepo;
  if (!settings) return undefined;
  const branch = pullRequestBranch(stage, plan.version.text);
  return {
    forge: plan.config.forge,
    repository: settings.repository,
    base: settings.base,
    branch,
  };
}

/** The undo steps for what this run did, newest effect first. */
function compensations(run: ReleaseRun): Compensation[] {
  const { plan } = run;
  const started = (name: Stage) => run.status.stages.some((stage) => stage.name === name && (stage.attempts ?? 0) > 0);
  const steps: Compensation[] = [];
  for (const stage of ['website', 'container-repo'] as const) {
    const input = started(stage) ? pullOf(plan, stage) : undefined;
    if (!input) continue;
    const summary = `close the pull request from ${input.branch} on ${input.repository} and delete its branch`;
    steps.push({ summary, run: () => step(summary).withdrawPullRequest(input) });
  }
  const commit = run.placed.checksumCommit;
  const { checksumRepo } = plan.config;
  if (commit && checksumRepo) {
    // No step: a commit pushed to the checksum repository's branch is public, and history there is never rewritten.
    const kept = {
      what: `commit ${commit.slice(0, 12)} on ${checksumRepo.branch} of ${checksumRepo.repository}, with the hash lines of ${plan.project} ${plan.version.text}`,
      why: `pushed to ${checksumRepo.branch}, the branch people and mirrors read the hashes from; revert it with a new commit if it must go`,
    };
    steps.push({
      summary: `keep the checksum commit ${commit.slice(0, 12)}`,
      run: async () => ({ removed: [], kept: [kept] }),
    });
  }
  if (started('publish')) {
    const { forge, repository, tag } = stepInputs.publishForgeRelease(plan, 0);
    const forgeRelease = { forge, repository, tag };
    const draft = `delete the draft release ${tag} of ${repository}, unless it is published`;
    const drafted = run.draftedRelease === undefined ? {} : { releaseId: run.draftedRelease };
    steps.push({ summary: draft, run: () => step(draft).withdrawForgeRelease({ ...forgeRelease, ...drafted }) });
    const uploads = `remove the release's files from s3://${plan.config.publish.s3.bucket}, unless the release is published`;
    const uploaded = run.status.artifacts.filter((artifact) => artifact.url !== undefined).map(({ file }) => file);
    const input = { ...stepInputs.uploadArtifacts(plan, run.artifacts), release: forgeRelease, uploaded };
    steps.push({ summary: uploads, run: () => step(uploads).withdrawUploads(input) });
  }
  if (started('build') && plan.config.publish.s3.stagingPrefix !== undefined) {
    const staged = `remove the staged files of ${plan.project} ${plan.version.text}`;
    const files = [...new Set([...run.built, ...run.artifacts].map(({ file }) => file))];
    const input = {
      s3: plan.config.publish.s3,
      project: plan.project,
      version: plan.version.text,
      commit: plan.sourceCommit,
      files,
    };
    steps.push({ summary: staged, run: () => step(staged).withdrawStagedFiles(input) });
  }
  return steps;
}

/**
 * Runs the undo steps into `run.status.rollback`. A step that fails for good is listed under `failed` with its error
 * and the others still run: a rollback that stopped halfway would leave more behind than one that goes on.
 */
export async function rollBack(run: ReleaseRun): Promise<RollbackReport> {
  const report: RollbackReport = { state: 'running', removed: [], kept: [] };
  run.status.rollback = report;
  for (const compensation of compensations(run)) {
    setCurrentDetails(`**Rolling back** ${run.plan.project} ${run.plan.version.text}: ${compensation.summary}.`);
    try {
      const done = await compensation.run();
      report.removed.push(...done.removed);
      report.kept.push(...done.kept);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      (report.failed ??= []).push({ what: compensation.summary, why: messageOf(error) });
    }
  }
  report.state = 'done';
  return report;
}
