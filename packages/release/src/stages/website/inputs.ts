/** What the website stage's step receives: its section of the config, the tarballs' digests, the release's date. */
import type { ProjectConfig } from '@relforge/config';
import type { ReleasePlan } from '../../shared.js';
import { repoOf, type Artifacts, type RepoInput } from '../inputs.js';

type Config = ProjectConfig;

export interface WebsiteInput extends RepoInput<Config['websiteRepo']> {
  /** The date on the release page. */
  startedAt: string;
}

/** Each step's input from the plan, by activity name. */
export const websiteInputs = {
  updateWebsite: (plan: ReleasePlan, artifacts: Artifacts): WebsiteInput => ({
    ...repoOf(plan, plan.config.websiteRepo, artifacts),
    startedAt: plan.startedAt,
  }),
};
