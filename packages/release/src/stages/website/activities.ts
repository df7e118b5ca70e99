/**
 * The website stage's step, through real git: a branch with the release's page and a pull request for it, each made
 * only if not there yet.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { renderReleasePage, websiteReleasePath } from '@relforge/release-files';
import type { DigestedArtifact } from '../../shared.js';
import type { PlanInput } from '../inputs.js';
import { pullRequestBranch } from '../../rollback-inputs.js';
import { pathInCheckout } from '../../activities/checkout-paths.js';
import { withHeartbeat } from '../../activities/heartbeat.js';
import { configured, proposeChange } from '../../activities/repository.js';
import type { ReleaseServices } from '../../activities/services.js';
import { websiteInputs, type WebsiteInput } from './inputs.js';

export async function updateWebsite(
  services: ReleaseServices,
  input: WebsiteInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{ url: string; branch: string; status: string }> {
  const step = 'plan' in input ? websiteInputs.updateWebsite(input.plan, input.artifacts) : input;
  const settings = configured(step.settings, 'website', 'websiteRepo');
  if (step.version.isPrerelease && settings.prerelease === 'skip')
    return { url: '', branch: '', status: 'skipped: websiteRepo.prerelease is "skip"' };
  const byDistro = new Map<string, string[]>();
  for (const artifact of step.artifacts) {
    if (artifact.kind !== 'binary' || !artifact.target) continue;
    byDistro.set(artifact.target.distro, [...(byDistro.get(artifact.target.distro) ?? []), artifact.target.arch]);
  }
  return withHeartbeat(() =>
    proposeChange(services, step, {
      repository: settings.repository,
      base: settings.base,
      branch: pullRequestBranch('website', step.version.text),
      title: `Add release page for ${step.project} ${step.version.text}`,
      body: `Relforge release ${step.project} ${step.version.text}.`,
      edit: async (dir) => {
        const page = await pathInCheckout(dir, {
          repository: settings.repository,
          branch: settings.base,
          field: 'websiteRepo.path',
          path: websiteReleasePath(settings.path, step.version.text),
          use: 'write',
        });
        await mkdir(dirname(page), { recursive: true });
        await writeFile(
          page,
          renderReleasePage({
            version: step.version.text,
            date: step.startedAt,
            tag: step.version.text,
            artifactSource: `${step.publicBaseUrl.replace(/\/$/, '')}/`,
            artifactFname: step.project,
            artifacts: [...byDistro].map(([distro, arch]) => ({ distro, arch })),
            ...(step.version.isPrerelease ? { prerelease: true } : {}),
          }),
        );
      },
    }),
  );
}
