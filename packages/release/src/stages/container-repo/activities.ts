/**
 * The container repo stage's step, through real git: a branch that points the versions file and each template's
 * Dockerfile at the release's tarballs, and a pull request for it, each made only if not there yet.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { renderTemplate } from '@relforge/config';
import { mergeVersionsJson, renderDockerfile } from '@relforge/release-files';
import { ReleaseFailureType, type DigestedArtifact } from '../../shared.js';
import type { ArtifactDigest, PlanInput, RepoInput } from '../inputs.js';
import { pullRequestBranch } from '../../rollback-inputs.js';
import { pathInCheckout } from '../../activities/checkout-paths.js';
import { PermanentError } from '../../activities/failures.js';
import { withHeartbeat } from '../../activities/heartbeat.js';
import { configured, proposeChange } from '../../activities/repository.js';
import { publicUrl, type ReleaseServices } from '../../activities/services.js';
import { containerRepoInputs, type ContainerRepoInput } from './inputs.js';

function artifactFor(
  step: Pick<RepoInput<unknown>, 'artifacts' | 'version'>,
  distro?: string,
  arch?: string,
): ArtifactDigest {
  const { artifacts } = step;
  const found = distro
    ? artifacts.find(
        (artifact) =>
          artifact.kind === 'binary' && artifact.target?.distro === distro && (!arch || artifact.target.arch === arch),
      )
    : artifacts.find((artifact) => artifact.kind === 'source');
  if (!found) {
    throw new PermanentError(
      ReleaseFailureType.MissingArtifact,
      `no artifact for ${distro ? `${distro}${arch ? `/${arch}` : ''}` : 'the source tarball'} in release ${step.version.text}`,
      {
        fix: 'point containerRepo.templates at a target in build.matrix, or enable build.sourceTarball',
      },
    );
  }
  return found;
}

export async function updateContainerRepo(
  services: ReleaseServices,
  input: ContainerRepoInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{ url: string; branch: string; status: string }> {
  const step = 'plan' in input ? containerRepoInputs.updateContainerRepo(input.plan, input.artifacts) : input;
  const settings = configured(step.settings, 'container-repo', 'containerRepo');
  const version = step.version;
  if (version.isPrerelease && settings.prerelease === 'skip')
    return { url: '', branch: '', status: 'skipped: containerRepo.prerelease is "skip"' };
  const line = containerLine(step, settings);
  return withHeartbeat(() =>
    proposeChange(services, step, {
      repository: settings.repository,
      base: settings.base,
      branch: pullRequestBranch('container-repo', version.text),
      title: `Update to version ${version.text}`,
      body: `Relforge release ${step.project} ${version.text} (${step.commit}).`,
      edit: async (dir) => {
        const files = containerFiles(step, settings);
        const inRepository = (field: string, path: string, use: 'read' | 'write') =>
          pathInCheckout(dir, { repository: settings.repository, branch: settings.base, field, path, use });
        const versionsFile = await inRepository('containerRepo.versionsFile', files.versions.path, 'read');
        const versions = mergeVersionsJson(
          existsSync(versionsFile) ? await readFile(versionsFile, 'utf8') : '{}\n',
          {
            majorMinor: version.majorMinor,
            version: version.text,
            url: publicUrl(step.publicBaseUrl, files.versions.artifact.file),
            sha256: files.versions.artifact.sha256,
          },
          line,
        );
        if (versions.changed) await writeFile(versionsFile, versions.text);
        for (const { entry, artifact, path, index } of files.dockerfiles) {
          const field = `containerRepo.templates[${index}]`;
          const templateFile = await inRepository(`${field}.template`, entry.template, 'read');
          const template = await readFile(templateFile, 'utf8').catch(() => {
            throw new PermanentError(
              ReleaseFailureType.MissingArtifact,
              `${settings.repository} has no template ${entry.template} on ${settings.base}`,
              {
                fix: `add it to the repository, or fix containerRepo.templates in the config`,
              },
            );
          });
          const output = await inRepository(`${field}.output`, path, 'write');
          await mkdir(dirname(output), { recursive: true });
          await writeFile(
            output,
            renderDockerfile(
              template,
              {
                version: version.text,
                majorMinor: version.majorMinor,
                ...(entry.distro ? { distro: entry.distro } : {}),
                downloadUrl: publicUrl(step.publicBaseUrl, artifact.file),
                downloadSha256: artifact.sha256,
                envPrefix: settings.envPrefix,
              },
              `${settings.repository}:${entry.template}`,
            ),
          );
        }
      },
    }),
  );
}

type ContainerSettings = NonNullable<ContainerRepoInput['settings']>;

/**
 * The versions file's entry and the {majorMinor} of the Dockerfile paths: the version's own line, or for a prerelease
 * the `containerRepo.prerelease.line` of its own (e.g. "8.1-rc"), so the stable entry and folders never move.
 */
export function containerLine(
  step: Pick<ContainerRepoInput, 'version' | 'project'>,
  settings: ContainerSettings,
): string {
  const { version } = step;
  const placement = settings.prerelease;
  if (!version.isPrerelease || placement === undefined || placement === 'skip') return version.majorMinor;
  return renderTemplate(placement.line, { majorMinor: version.majorMinor, project: step.project });
}

/**
 * The files of the container repository that name a tarball and its digest: the versions file (the source tarball,
 * or the first template's target) and each template's Dockerfile. The pull request writes them; the publish
 * attestation reads them back.
 */
export function containerFiles(
  step: Pick<ContainerRepoInput, 'artifacts' | 'version' | 'project' | 'sourceTarball'>,
  settings: ContainerSettings,
): {
  versions: { path: string; artifact: ArtifactDigest };
  dockerfiles: {
    path: string;
    artifact: ArtifactDigest;
    entry: ContainerSettings['templates'][number];
    index: number;
  }[];
} {
  const { version } = step;
  const main = step.sourceTarball
    ? artifactFor(step)
    : artifactFor(step, settings.templates[0]?.distro, settings.templates[0]?.arch);
  return {
    versions: { path: settings.versionsFile, artifact: main },
    dockerfiles: settings.templates.map((entry, index) => ({
      entry,
      index,
      artifact: artifactFor(step, entry.distro, entry.arch),
      path: renderTemplate(entry.output, {
        version: version.text,
        majorMinor: containerLine(step, settings),
        project: step.project,
        ...(entry.distro ? { distro: entry.distro } : {}),
      }),
    })),
  };
}
