/**
 * A project's release config and release versions: read, validated and refused with the field and the fix.
 */
export {
  ApprovalConfig,
  BuildConfig,
  ChecksumRepoConfig,
  ContainerRepoConfig,
  ContainerTemplate,
  defaultRetrySchedule,
  Duration,
  durationMilliseconds,
  eventTypeMatches,
  ForgeAuth,
  ForgeConfig,
  MatrixEntry,
  ProjectConfig,
  type ProjectConfigInput,
  ProjectName,
  ReleaseConfig,
  RepoName,
  S3Config,
  SecretRef,
  SigningConfig,
  Stage,
  stages,
  stagesToRun,
  WebhookReceiver,
  TrainConfig,
  WebsiteRepoConfig,
} from './schema.js';
export {
  AccessConfig,
  AccessRule,
  defaultAccess,
  ForgeRole,
  forgeRoles,
  InputAccessRule,
  OperationName,
} from './access.js';
export { loadProjectConfig, loadProjectConfigs, parseProjectConfig } from './load.js';
export { expandableFields } from './expand.js';
export { closestMatch, configErrorMap, formatIssues } from './issues.js';
export { compareVersions, parseVersion, ReleaseVersion, ReleaseVersionText } from './version.js';
export { Placeholder, renderTemplate, type TemplateValues } from './templates.js';
export { artifactFileName, type BuildTarget, buildTargets, releaseName, releaseTag, versionOfTag } from './naming.js';
export { projectConfigJsonSchemaText } from './json-schema.js';
export { describeSecret, readSecretRef, type SecretRead } from './secrets.js';
