/**
 * The publish stage: the files to S3, then a draft forge release with them as assets, then the draft published. The
 * draft is made before anything is public, so a failure in between leaves nothing a downloader can see half-done.
 */
import { plural, step } from '../../workflows/options.js';
import type { StageRun } from '../run.js';
import { publishInputs } from './inputs.js';

export async function publishStage(run: StageRun): Promise<Record<string, string>> {
  const { plan, artifacts } = run;
  const { tag } = plan;
  const { repository } = plan.config.publish.release;
  const { uploadArtifacts } = step(
    `upload ${plural(artifacts.length, 'file')} to s3://${plan.config.publish.s3.bucket}`,
  );
  const uploaded = await uploadArtifacts(publishInputs.uploadArtifacts(plan, artifacts));
  run.uploaded(new Map(uploaded.objects.map((object) => [object.file, object.url])));
  const { stageForgeRelease } = step(`draft release ${tag} of ${repository} with ${plural(artifacts.length, 'asset')}`);
  const { publishForgeRelease } = step(`publish release ${tag} of ${repository}`);
  const adopt = run.adoptedRelease(plan.tag);
  const staged = await stageForgeRelease({
    ...publishInputs.stageForgeRelease(plan, artifacts),
    ...(adopt ? { adopt } : {}),
  });
  run.draftedRelease = staged.releaseId;
  const published = await publishForgeRelease(publishInputs.publishForgeRelease(plan, staged.releaseId));
  run.published();
  return {
    s3: `${uploaded.uploaded} uploaded, ${uploaded.unchanged} already there`,
    assets: `${staged.uploaded} uploaded, ${staged.unchanged} already there`,
    release: published.url,
  };
}
