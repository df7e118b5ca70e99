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
import type { DigestedArtifact, ReleasePlan } from '../shared.js';
import { PermanentError } from './failures.js';
import { withHeartbeat } from './heartbeat.js';
import { forgeFor, publicUrl, remoteFor, type ReleaseServices } from './services.js';

const tarballs = (artifacts: DigestedArtifact[]) =>
  artifacts.filter((artifact) => artifact.kind === 'binary' || artifact.kind === 'source');

async function freshDir(plan: ReleasePlan, name: string): Promise<string> {
  const dir = join(plan.workDir, 'repos', name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dirname(dir), { recursive: true });
  return dir;
}

export async function updateChecksumRepo(
  services: ReleaseServices,
  { plan, artifacts }: { plan: ReleasePlan; artifacts: DigestedArtifact[] },
): Promise<{ commit?: string; added: number; unchanged: number }> {
  const settings = plan.config.checksumRepo;
  if (!settings)
    throw new PermanentError('InputError', 'the checksum-repo stage runs but checksumRepo is not configured', {
      fix: 'add checksumRepo to the config',
    });
  return withHeartbeat(async () => {
    const remote = await remoteFor(forgeFor(plan.config, services), settings.repository);
    const dir = await freshDir(plan, 'checksum-repo');
    await services.git.clone(remote, dir, settings.branch);
    const file = join(dir, settings.file);
    const existing = existsSync(file) ? await readFile(file, 'utf8') : '';
    const merged = mergeHashes(
      existing,
      tarballs(artifacts).map((artifact) => ({
        file: artifact.file,
        sha256: artifact.sha256,
        url: publicUrl(plan.config, artifact.file),
      })),
    );
    const [first] = merged.conflicts;
    if (first) throw new HashesConflictError(first.file, first.existing, first.incoming);
    if (merged.added.length === 0) return { added: 0, unchanged: merged.unchanged.length };
    await writeFile(file, merged.text);
    const commit = await services.git.commitAll(dir, `Add hashes for ${plan.project} ${plan.version.text}`);
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
  plan: ReleasePlan,
  change: ProposedChange,
): Promise<{ url: string; branch: string; status: 'created' | 'existing' | 'up-to-date' }> {
  const forge = forgeFor(plan.config, services);
  const remote = await remoteFor(forge, change.repository);
  const existing = await findPull(forge, change, remote);
  if (existing) return { url: existing.htmlUrl, branch: change.branch, status: 'existing' };

  // A branch pushed by an earlier attempt that died before opening the pull request is used as it is.
  if (!(await services.git.resolveRemoteRef(remote, change.branch))) {
    const dir = await freshDir(plan, change.branch);
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

function artifactFor(
  plan: ReleasePlan,
  artifacts: DigestedArtifact[],
  distro?: string,
  arch?: string,
): DigestedArtifact {
  const found = distro
    ? artifacts.find(
        (artifact) =>
          artifact.kind === 'binary' && artifact.target?.distro === distro && (!arch || artifact.target.arch === arch),
      )
    : artifacts.find((artifact) => artifact.kind === 'source');
  if (!found) {
    throw new PermanentError(
      'MissingArtifact',
      `no artifact for ${distro ? `${distro}${arch ? `/${arch}` : ''}` : 'the source tarball'} in release ${plan.version.text}`,
      {
        fix: 'point containerRepo.templates at a target in build.matrix, or enable build.sourceTarball',
      },
    );
  }
  return found;
}

export async function updateContainerRepo(
  services: ReleaseServices,
  { plan, artifacts }: { plan: ReleasePlan; artifacts: DigestedArtifact[] },
): Promise<{ url: string; branch: string; status: string }> {
  const settings = plan.config.containerRepo;
  if (!settings)
    throw new PermanentError('InputError', 'the container-repo stage runs but containerRepo is not configured', {
      fix: 'add containerRepo to the config',
    });
  const version = plan.version;
  return withHeartbeat(() =>
    proposeChange(services, plan, {
      repository: settings.repository,
      base: settings.base,
      branch: `update-${version.text}`,
      title: `Update to version ${version.text}`,
      body: `Relforge release ${plan.project} ${version.text} (${plan.sourceCommit}).`,
      edit: async (dir) => {
        const main = plan.config.build.sourceTarball
          ? artifactFor(plan, artifacts)
          : artifactFor(plan, artifacts, settings.templates[0]?.distro, settings.templates[0]?.arch);
        const versionsFile = join(dir, settings.versionsFile);
        const versions = mergeVersionsJson(existsSync(versionsFile) ? await readFile(versionsFile, 'utf8') : '{}\n', {
          majorMinor: version.majorMinor,
          version: version.text,
          url: publicUrl(plan.config, main.file),
          sha256: main.sha256,
        });
        if (versions.changed) await writeFile(versionsFile, versions.text);
        for (const entry of settings.templates) {
          const artifact = artifactFor(plan, artifacts, entry.distro, entry.arch);
          const template = await readFile(join(dir, entry.template), 'utf8').catch(() => {
            throw new PermanentError(
              'MissingArtifact',
              `${settings.repository} has no template ${entry.template} on ${settings.base}`,
              {
                fix: `add it to the repository, or fix containerRepo.templates in the config`,
              },
            );
          });
          const values = {
            version: version.text,
            majorMinor: version.majorMinor,
            project: plan.project,
            ...(entry.distro ? { distro: entry.distro } : {}),
          };
          const output = join(dir, renderTemplate(entry.output, values));
          await mkdir(dirname(output), { recursive: true });
          await writeFile(
            output,
            renderDockerfile(
              template,
              {
                version: version.text,
                majorMinor: version.majorMinor,
                ...(entry.distro ? { distro: entry.distro } : {}),
                downloadUrl: publicUrl(plan.config, artifact.file),
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
  { plan, artifacts }: { plan: ReleasePlan; artifacts: DigestedArtifact[] },
): Promise<{ url: string; branch: string; status: string }> {
  const settings = plan.config.websiteRepo;
  if (!settings)
    throw new PermanentError('InputError', 'the website stage runs but websiteRepo is not configured', {
      fix: 'add websiteRepo to the config',
    });
  const byDistro = new Map<string, string[]>();
  for (const artifact of artifacts) {
    if (artifact.kind !== 'binary' || !artifact.target) continue;
    byDistro.set(artifact.target.distro, [...(byDistro.get(artifact.target.distro) ?? []), artifact.target.arch]);
  }
  return withHeartbeat(() =>
    proposeChange(services, plan, {
      repository: settings.repository,
      base: settings.base,
      branch: `update-website-${plan.version.text}`,
      title: `Add release page for ${plan.project} ${plan.version.text}`,
      body: `Relforge release ${plan.project} ${plan.version.text}.`,
      edit: async (dir) => {
        const page = join(dir, websiteReleasePath(settings.path, plan.version.text));
        await mkdir(dirname(page), { recursive: true });
        await writeFile(
          page,
          renderReleasePage({
            version: plan.version.text,
            date: plan.startedAt,
            tag: plan.version.text,
            artifactSource: `${plan.config.publish.s3.publicBaseUrl.replace(/\/$/, '')}/`,
            artifactFname: plan.project,
            artifacts: [...byDistro].map(([distro, arch]) => ({ distro, arch })),
          }),
        );
      },
    }),
  );
}
