/**
 * The stages that write into other repositories, through real git: the
 * checksum repo gets a commit on its branch; the container and website repos
 * get a branch and a pull request. Each looks for its effect first (the hash
 * lines, the pull request, the pushed branch) and only makes what is missing.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderTemplate } from '@relforge/config';
import type { Forge, PullRequest } from '@relforge/forge';
import { ForgeError } from '@relforge/forge';
import {
  HashesConflictError,
  mergeHashes,
  mergeVersionsJson,
  renderDockerfile,
  renderReleasePage,
  websiteReleasePath,
} from '@relforge/release-files';
import { isTarball, ReleaseFailureType, type DigestedArtifact } from '../shared.js';
import {
  stepInputs,
  type ArtifactDigest,
  type ChecksumRepoInput,
  type ContainerRepoInput,
  type PlanInput,
  type RepoInput,
  type WebsiteInput,
} from '../step-inputs.js';
import { pathInCheckout } from './checkout-paths.js';
import { PermanentError } from './failures.js';
import { withHeartbeat } from './heartbeat.js';
import { forgeFor, publicUrl, remoteFor, type ReleaseServices } from './services.js';

const tarballs = (artifacts: ArtifactDigest[]) => artifacts.filter(isTarball);

/** A stage's repository section; the config schema requires it for a stage that runs, so this guards old plans. */
function configured<Settings>(settings: Settings | undefined, stage: string, section: string): Settings {
  if (settings) return settings;
  throw new PermanentError(ReleaseFailureType.InputError, `the ${stage} stage runs but ${section} is not configured`, {
    fix: `add ${section} to the config`,
  });
}

async function freshDir(workDir: string, name: string): Promise<string> {
  const dir = join(workDir, 'repos', name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  return dir;
}

export async function updateChecksumRepo(
  services: ReleaseServices,
  input: ChecksumRepoInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{ commit?: string; added: number; unchanged: number }> {
  const step = 'plan' in input ? stepInputs.updateChecksumRepo(input.plan, input.artifacts) : input;
  const settings = configured(step.settings, 'checksum-repo', 'checksumRepo');
  return withHeartbeat(async () => {
    const remote = await remoteFor(forgeFor(step.forge, services), settings.repository);
    const dir = await freshDir(step.workDir, 'checksum-repo');
    await services.git.clone(remote, dir, settings.branch);
    const file = await pathInCheckout(dir, {
      repository: settings.repository,
      branch: settings.branch,
      field: 'checksumRepo.file',
      path: settings.file,
      use: 'read',
    });
    const existing = existsSync(file) ? await readFile(file, 'utf8') : '';
    const merged = mergeHashes(
      existing,
      tarballs(step.artifacts).map((artifact) => ({
        file: artifact.file,
        sha256: artifact.sha256,
        url: publicUrl(step.publicBaseUrl, artifact.file),
      })),
    );
    const [first] = merged.conflicts;
    if (first) throw new HashesConflictError(first.file, first.existing, first.incoming);
    if (merged.added.length === 0) return { added: 0, unchanged: merged.unchanged.length };
    await writeFile(file, merged.text);
    const commit = await services.git.commitAll(dir, `Add hashes for ${step.project} ${step.version.text}`);
    // A push refused because the branch moved on fails this attempt; the retry clones again and merges anew.
    await services.git.push(remote, dir, `HEAD:refs/heads/${settings.branch}`);
    return { ...(commit ? { commit } : {}), added: merged.added.length, unchanged: merged.unchanged.length };
  });
}

interface ProposedChange {
  repository: string;
  base: string;
  branch: string;
  title: string;
  body: string;
  /** Edits the checked-out base in `dir`; what it changes becomes the pull request. */
  edit: (dir: string) => Promise<void>;
}

async function findPull(
  forge: Forge,
  change: ProposedChange,
  remote: Awaited<ReturnType<typeof remoteFor>>,
): Promise<PullRequest | undefined> {
  return forge.findPullRequest(remote.repo, change.branch, change.base);
}

/** A branch with the change and a pull request for it, each made only if not there yet. */
async function proposeChange(
  services: ReleaseServices,
  step: RepoInput<unknown>,
  change: ProposedChange,
): Promise<{ url: string; branch: string; status: 'created' | 'existing' | 'up-to-date' }> {
  const forge = forgeFor(step.forge, services);
  const remote = await remoteFor(forge, change.repository);
  const existing = await findPull(forge, change, remote);
  if (existing) return { url: existing.htmlUrl, branch: change.branch, status: 'existing' };

  // A branch pushed by an earlier attempt that died before opening the pull request is used as it is.
  if (!(await services.git.resolveRemoteRef(remote, change.branch))) {
    const dir = await freshDir(step.workDir, change.branch);
    await services.git.clone(remote, dir, change.base);
    await services.git.checkoutNewBranch(dir, change.branch, 'HEAD');
    await change.edit(dir);
    const commit = await services.git.commitAll(dir, change.title);
    if (!commit) return { url: '', branch: change.branch, status: 'up-to-date' };
    await services.git.push(remote, dir, `HEAD:refs/heads/${change.branch}`);
  }
  try {
    const pull = await forge.createPullRequest(remote.repo, {
      head: change.branch,
      base: change.base,
      title: change.title,
      body: change.body,
    });
    return { url: pull.htmlUrl, branch: change.branch, status: 'created' };
  } catch (error) {
    // Opened meanwhile by an attempt we lost track of: that one is ours.
    const raced =
      error instanceof ForgeError && error.kind === 'refused' ? await findPull(forge, change, remote) : undefined;
    if (raced) return { url: raced.htmlUrl, branch: change.branch, status: 'existing' };
    throw error;
  }
}

function artifactFor(step: RepoInput<unknown>, distro?: string, arch?: string): ArtifactDigest {
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
  const step = 'plan' in input ? stepInputs.updateContainerRepo(input.plan, input.artifacts) : input;
  const settings = configured(step.settings, 'container-repo', 'containerRepo');
  const version = step.version;
  return withHeartbeat(() =>
    proposeChange(services, step, {
      repository: settings.repository,
      base: settings.base,
      branch: `update-${version.text}`,
      title: `Update to version ${version.text}`,
      body: `Relforge release ${step.project} ${version.text} (${step.commit}).`,
      edit: async (dir) => {
        const main = step.sourceTarball
          ? artifactFor(step)
          : artifactFor(step, settings.templates[0]?.distro, settings.templates[0]?.arch);
        const inRepository = (field: string, path: string, use: 'read' | 'write') =>
          pathInCheckout(dir, { repository: settings.repository, branch: settings.base, field, path, use });
        const versionsFile = await inRepository('containerRepo.versionsFile', settings.versionsFile, 'read');
        const versions = mergeVersionsJson(existsSync(versionsFile) ? await readFile(versionsFile, 'utf8') : '{}\n', {
          majorMinor: version.majorMinor,
          version: version.text,
          url: publicUrl(step.publicBaseUrl, main.file),
          sha256: main.sha256,
        });
        if (versions.changed) await writeFile(versionsFile, versions.text);
        for (const [index, entry] of settings.templates.entries()) {
          const artifact = artifactFor(step, entry.distro, entry.arch);
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
          const values = {
            version: version.text,
            majorMinor: version.majorMinor,
            project: step.project,
            ...(entry.distro ? { distro: entry.distro } : {}),
          };
          const output = await inRepository(`${field}.output`, renderTemplate(entry.output, values), 'write');
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

export async function updateWebsite(
  services: ReleaseServices,
  input: WebsiteInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{ url: string; branch: string; status: string }> {
  const step = 'plan' in input ? stepInputs.updateWebsite(input.plan, input.artifacts) : input;
  const settings = configured(step.settings, 'website', 'websiteRepo');
  const byDistro = new Map<string, string[]>();
  for (const artifact of step.artifacts) {
    if (artifact.kind !== 'binary' || !artifact.target) continue;
    byDistro.set(artifact.target.distro, [...(byDistro.get(artifact.target.distro) ?? []), artifact.target.arch]);
  }
  return withHeartbeat(() =>
    proposeChange(services, step, {
      repository: settings.repository,
      base: settings.base,
      branch: `update-website-${step.version.text}`,
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
          }),
        );
      },
    }),
  );
}
