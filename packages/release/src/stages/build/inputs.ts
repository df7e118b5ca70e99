/** What the build stage's steps receive: a checkout of the commit being released, and the target to build. */
import type { ProjectConfig } from '@relforge/config';
import type { BuildTarget, ReleasePlan } from '../../shared.js';
import { releaseOf, type StagedFiles, type StepRelease } from '../inputs.js';

type Config = ProjectConfig;

/** A checkout of the commit being released. */
export interface SourceInput extends StepRelease, StagedFiles {
  forge: Config['forge'];
  repository: string;
  commit: string;
}

export interface BuildInput extends SourceInput {
  command: Config['build']['command'];
  target: BuildTarget;
}

const sourceOf = (plan: ReleasePlan): SourceInput => ({
  ...releaseOf(plan),
  staging: plan.config.publish.s3,
  forge: plan.config.forge,
  repository: plan.config.source.repository,
  commit: plan.sourceCommit,
});

/** Each step's input from the plan, by activity name. */
export const buildInputs = {
  buildTarget: (plan: ReleasePlan, target: BuildTarget): BuildInput => ({
    ...sourceOf(plan),
    command: plan.config.build.command,
    target,
  }),
  buildSourceTarball: sourceOf,
};
