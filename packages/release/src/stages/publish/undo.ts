/**
 * The publish stage's undo: the draft forge release deleted, then the release's files removed from S3, each unless the
 * release is published. The draft goes first, so no release is left pointing at files already removed.
 */
import { step } from '../../workflows/options.js';
import { started, type Compensation, type StageRun } from '../run.js';
import { publishInputs } from './inputs.js';

export function undoPublish(run: StageRun): Compensation[] {
  if (!started(run, 'publish')) return [];
  const { plan } = run;
  const { forge, repository, tag } = publishInputs.publishForgeRelease(plan, 0);
  const forgeRelease = { forge, repository, tag };
  const draft = `delete the draft release ${tag} of ${repository}, unless it is published`;
  const drafted = run.draftedRelease === undefined ? {} : { releaseId: run.draftedRelease };
  const uploads = `remove the release's files from s3://${plan.config.publish.s3.bucket}, unless the release is published`;
  const uploaded = run.status.artifacts.filter((artifact) => artifact.url !== undefined).map(({ file }) => file);
  const input = { ...publishInputs.uploadArtifacts(plan, run.artifacts), release: forgeRelease, uploaded };
  return [
    { summary: draft, run: () => step(draft).withdrawForgeRelease({ ...forgeRelease, ...drafted }) },
    { summary: uploads, run: () => step(uploads).withdrawUploads(input) },
  ];
}
