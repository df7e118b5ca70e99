export { ContainerVersion, VersionsJsonError, mergeVersionsJson } from './versions-json.js';
export { DockerfileTemplateError, DockerfileValues, renderDockerfile } from './dockerfile.js';
export {
  HashEntry,
  HashesConflictError,
  HashesFormatError,
  mergeHashes,
  readHashLines,
  type HashLine,
  type HashesConflict,
  type HashesMerge,
} from './hashes.js';
export { ReleasePage, renderReleasePage, websiteReleasePath } from './release-page.js';
