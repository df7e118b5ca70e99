/**
 * The publish stage's activities, in the order it runs them: S3 first (upload.ts), then the forge release, drafted,
 * checked and published (forge-release.ts).
 */
export {
  localFiles,
  contentType,
  conflict,
  matches,
  uploadOne,
  uploadArtifacts,
  type UploadedObject,
  type LocalFiles,
} from './upload.js';
export { checkAsset, stageForgeRelease, publishForgeRelease } from './forge-release.js';
