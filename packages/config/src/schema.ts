/**
 * The shape of a project's release config (`relforge.yaml` / `relforge.json`).
 * Every type Relforge uses for config is inferred from these schemas; the
 * committed JSON Schema is generated from them too, with each field's
 * description, so editors explain a field as it is typed.
 * The sections live in files of their own (fields, publish-, repository-, lifecycle-sections, project-fields)
 * and the cross-field rules in rules.ts; this file puts them together.
 */
import { type z } from 'zod';
import { ProjectConfigFields } from './project-fields.js';
import { checkApproval, checkContainerOutputs, checkContainerTargets, checkReleaseTag, checkStages } from './rules.js';

export { SecretRef, RepoName, ProjectName, Duration, durationMilliseconds, Stage, stages } from './fields.js';
export { MatrixEntry, BuildConfig, ForgeAuth, ForgeConfig, S3Config, ReleaseConfig } from './publish-sections.js';
export {
  ChecksumRepoConfig,
  ContainerTemplate,
  ContainerRepoConfig,
  WebsiteRepoConfig,
} from './repository-sections.js';
export {
  TrainConfig,
  SigningConfig,
  eventTypeMatches,
  defaultRetrySchedule,
  WebhookReceiver,
  ApprovalConfig,
} from './lifecycle-sections.js';
export { stagesToRun } from './rules.js';

export const ProjectConfig = ProjectConfigFields.superRefine((config, ctx) => {
  checkStages(config, ctx);
  checkApproval(config, ctx);
  checkContainerTargets(config, ctx);
  checkReleaseTag(config, ctx);
  checkContainerOutputs(config, ctx);
}).meta({
  title: 'Relforge release config',
  description:
    'How Relforge releases one project: the source, the build of each target, where the files are published and the repositories updated after. Secrets are named, never written: {env: VARIABLE} or {file: PATH}.',
});
/** The config as written (defaults optional). */
export type ProjectConfigInput = z.input<typeof ProjectConfig>;
/** The config after parsing (defaults applied): what the release works from. */
export type ProjectConfig = z.infer<typeof ProjectConfig>;
