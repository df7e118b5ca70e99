/**
 * A project's release config and release versions: read, validated and refused with the field and the fix.
 */
export {
  BuildConfig,
  ChecksumRepoConfig,
  ContainerRepoConfig,
  ContainerTemplate,
  Duration,
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
  TrainConfig,
  WebsiteRepoConfig,
} from './schema.js';
export { loadProjectConfig, loadProjectConfigs, parseProjectConfig } from './load.js';
export { expandableFields } from './expand.js';
export { closestMatch, configErrorMap, formatIssues } from './issues.js';
export { compareVersions, parseVersion, ReleaseVersion, ReleaseVersionText } from './version.js';
export { Placeholder, renderTemplate, type TemplateValues } from './templates.js';
export { artifactFileName, type BuildTarget, buildTargets, releaseName, releaseTag, versionOfTag } from './naming.js';
export { projectConfigJsonSchemaText } from './json-schema.js';
