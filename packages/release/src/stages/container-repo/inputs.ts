/** What the container repo stage's step receives: its section of the config, the tarballs' digests, the commit. */
import type { ProjectConfig } from '@relforge/config';
import type { ReleasePlan } from '../../shared.js';
import { repoOf, type Artifacts, type RepoInput } from '../inputs.js';

type Config = ProjectConfig;

export interface ContainerRepoInput extends RepoInput<Config['containerRepo']> {
  commit: string;
  /** The container repo's versions file points at the source tarball when there is one. */
  sourceTarball: boolean;
}

/** Each step's input from the plan, by activity name. */
export const containerRepoInputs = {
  updateContainerRepo: (plan: ReleasePlan, artifacts: Artifacts): ContainerRepoInput => ({
    ...repoOf(plan, plan.config.containerRepo, artifacts),
    commit: plan.sourceCommit,
    sourceTarball: plan.config.build.sourceTarball,
  }),
};
