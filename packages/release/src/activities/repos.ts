/**
 * The stages that write into other repositories, through real git: the
 * checksum repo gets a commit on its branch; the container and website repos
 * get a branch and a pull request. Each looks for its effect first (the hash
 * lines, the pull request, the pushed branch) and only makes what is missing.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checksumFileNames } from '@relforge/checksum';
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
import { allowedSignersFile, allowedSignersText, publicKeyPemFile, ReleasePublicKey } from '@relforge/signing';
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
import { pullRequestBranch } from '../rollback-inputs.js';
import { pathInCheckout } from './checkout-paths.js';
import { PermanentError } from './failures.js';
import { withHeartbeat } from './heartbeat.js';
import { keyChange, publishedSigners, signersPlace, type KeyChange } from './release-key.js';
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
): Promise<{ commit?: string; head?: string; added: number; unchanged: number; key?: KeyChange }> {
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
    const key = step.signing ? await publishKey(dir, settings, step.project, step.signing) : undefined;
    const result = {
      added: merged.added.length,
      unchanged: merged.unchanged.length,
      ...(key ? { key: key.change } : {}),
    };
    if (merged.added.length === 0 && !key?.written) return { ...result, head: await services.git.headCommit(dir) };
    if (merged.added.length > 0) await writeFile(file, merged.text);
    const rotated = key?.change === 'follows' ? `; the release key is now ${key.fingerprint}` : '';
    const commit = await services.git.commitAll(dir, `Add hashes for ${step.project} ${step.version.text}${rotated}`);
    // A push refused because the branch moved on fails this attempt; the retry clones again and merges anew.
    await services.git.push(remote, dir, `HEAD:refs/heads/${settings.branch}`);
    return { ...result, ...(commit ? { commit, head: commit } : { head: await services.git.headCommit(dir) }) };
  });
}

/**
 * Writes the release key beside the hash file: `allowed_signers` for ssh-keygen and `release-key.pem` for cosign. A
 * key other than the one published there is refused, unless the config says it follows that one.
 */
async function publishKey(
  dir: string,
  settings: NonNullable<ChecksumRepoInput['settings']>,
  project: string,
  signing: NonNullable<ChecksumRepoInput['signing']>,
): Promise<{ change: KeyChange; written: boolean; fingerprint: string }> {
  const key = ReleasePublicKey.parse(signing.publicKey, 'the release key');
  const checkout = { repository: settings.repository, branch: settings.branch, dir, hashFile: settings.file };
  const change = keyChange(await publishedSigners(checkout), key, signing.follows, signersPlace(settings));
  const sums = checksumFileNames(project, '<version>').sha256;
  let written = false;
  for (const [name, text] of [
    [allowedSignersFile, allowedSignersText(project, key, sums)],
    [publicKeyPemFile, key.pem],
  ] as const) {
    const path = await pathInCheckout(dir, {
      repository: settings.repository,
      branch: settings.branch,
      field: 'checksumRepo.file',
      path: join(dirname(settings.file), name),
      use: 'write',
    });
    if (existsSync(path) && (await readFile(path, 'utf8')) === text) continue;
    await writeFile(path, text);
    written = true;
  }
  return { change, written, fingerprint: key.fingerprint };
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
  const step = 'plan' in input ? stepInputs.updateContainerRepo(input.plan, input.artifacts) : input;
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

export async function updateWebsite(
  services: ReleaseServices,
  input: WebsiteInput | PlanInput<{ artifacts: DigestedArtifact[] }>,
): Promise<{ url: string; branch: string; status: string }> {
  const step = 'plan' in input ? stepInputs.updateWebsite(input.plan, input.artifacts) : input;
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
