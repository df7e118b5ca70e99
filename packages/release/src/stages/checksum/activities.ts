/**
 * The checksum stage: SHA-256 and SHA-512 of every tarball in one read each,
 * a `sha256sum`-format sidecar per tarball and combined SHA256SUMS/SHA512SUMS
 * files. The digests recorded here are the ones every later step verifies.
 * When the config signs, the sums files get their signatures and the release
 * its signed provenance here too, so nothing is published before it is signed.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import { checksumFileNames, checksumsText, digestFile, sidecarText } from '@relforge/checksum';
import { gitRootFor } from '@relforge/forge';
import {
  EnvelopeError,
  provenanceFileName,
  provenanceStatement,
  SignatureError,
  signatureFileName,
  signFile,
  signStatement,
  slsaProvenanceType,
  verifyFileSignature,
  verifyStatement,
  type ReleaseKey,
  type ReleasePublicKey,
  type Subject,
} from '@relforge/signing';
import { isTarball, ReleaseFailureType, type Artifact, type DigestedArtifact } from '../../shared.js';
import type { PlanInput } from '../inputs.js';
import { checksumInputs, type ChecksumInput, type ProvenanceInput } from './inputs.js';
import { PermanentError } from '../../activities/failures.js';
import { withHeartbeat } from '../../activities/heartbeat.js';
import { signingKeyFor, trustedKeys } from '../../activities/release-key.js';
import { artifactPath, artifactsDir, releaseDir, storeFor, type ReleaseServices } from '../../activities/services.js';
import { fetchStaged, stageFile, stagingFor } from '../../activities/staging.js';

/** Rewriting the same text would still be a change on disk; a retried checksum step leaves files it agrees with alone. */
async function writeIfChanged(path: string, text: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current !== text) await writeFile(path, text);
}

export async function checksumArtifacts(
  services: ReleaseServices,
  input: ChecksumInput | PlanInput<{ artifacts: Artifact[] }>,
): Promise<DigestedArtifact[]> {
  const step = 'plan' in input ? checksumInputs.checksumArtifacts(input.plan, input.artifacts) : input;
  const { project, version, signing } = step;
  const workDir = releaseDir(services, step);
  const staging = stagingFor(step.staging, step, services);
  // Each file as this worker holds it; one a builder of another machine made is fetched from staging below.
  const artifacts = step.artifacts.map((artifact) => ({ ...artifact, path: artifactPath(workDir, artifact.file) }));
  // Recorded before staging: a file another machine built is on that machine's disk only. Say so, not retry.
  const elsewhere = staging
    ? []
    : artifacts.filter((artifact) => !existsSync(artifact.path)).map((artifact) => artifact.file);
  if (elsewhere.length > 0) {
    throw new PermanentError(
      ReleaseFailureType.MissingArtifact,
      `${elsewhere.join(', ')} ${elsewhere.length === 1 ? 'was' : 'were'} built but ${elsewhere.length === 1 ? 'is' : 'are'} not in ${artifactsDir(workDir)} on this worker`,
      {
        fix: 'give the builders and the workers of the main queue one work folder (RELFORGE_WORK_DIR on storage they all mount), then resume the release',
      },
    );
  }
  // Before anything is written: a key that cannot sign, or is not the one this release was checked with, is refused.
  const key = signing ? signingKeyFor(signing, services) : undefined;
  return withHeartbeat(async (heartbeat) => {
    if (staging) {
      for (const artifact of artifacts.filter(isTarball))
        await fetchStaged(staging, artifact.file, artifact.path, heartbeat);
    }
    const digest = async (artifact: Artifact): Promise<DigestedArtifact> => {
      const { size, sha256, sha512 } = await digestFile(artifact.path, { signal: heartbeat.signal });
      heartbeat.progress({ digested: artifact.file });
      return { ...artifact, size, sha256, sha512 };
    };
    const tarballs: DigestedArtifact[] = [];
    for (const artifact of artifacts.filter(isTarball)) {
      tarballs.push(await digest(artifact));
    }
    const written: Artifact[] = [];
    for (const tarball of tarballs) {
      const path = `${tarball.path}.sha256`;
      await writeIfChanged(path, sidecarText(tarball.sha256, tarball.file));
      written.push({ file: `${tarball.file}.sha256`, path, size: 0, kind: 'sidecar' });
    }
    const names = checksumFileNames(project, version.text);
    for (const algorithm of ['sha256', 'sha512'] as const) {
      const path = join(artifactsDir(workDir), names[algorithm]);
      await writeIfChanged(
        path,
        checksumsText(
          tarballs.map((tarball) => ({ file: tarball.file, digest: tarball[algorithm] })),
          algorithm,
        ),
      );
      written.push({ file: names[algorithm], path, size: 0, kind: 'checksums' });
    }
    const files: DigestedArtifact[] = [...tarballs];
    for (const artifact of written) files.push(await digest(artifact));
    const signed: DigestedArtifact[] = [];
    if (signing && key) {
      for (const artifact of await signChecksums(services, workDir, signing, key, files)) {
        signed.push(await digest(artifact));
      }
      const release = { project, version: version.text, workDir };
      signed.push(await digest(await writeProvenance(services, release, signing, key, [...files, ...signed])));
    }
    // The steps after this one may run on another worker of the main queue: they find these files staged.
    if (staging) {
      for (const artifact of [...written, ...signed]) {
        await stageFile(staging, artifact.file, artifact.path, heartbeat);
      }
    }
    return [...files, ...signed];
  });
}

/** A file an earlier run of this release published, as S3 holds it; undefined when there is none. */
async function published(
  services: ReleaseServices,
  s3: ProvenanceInput['s3'],
  file: string,
): Promise<string | undefined> {
  const store = storeFor(s3, services);
  const key = `${s3.prefix}${file}`;
  if (!(await store.head(key))) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `<sums>.sig` for each checksums file. A signature an earlier run published is kept when it still verifies, by this
 * key or one it follows: published files are never replaced, and after a key change the old signature stays true.
 */
async function signChecksums(
  services: ReleaseServices,
  workDir: string,
  signing: ProvenanceInput,
  key: ReleaseKey,
  files: DigestedArtifact[],
): Promise<Artifact[]> {
  const trusted = trustedKeys(signing);
  const written: Artifact[] = [];
  for (const sums of files.filter((file) => file.kind === 'checksums')) {
    const text = await readFile(sums.path);
    const file = signatureFileName(sums.file);
    const earlier = await published(services, signing.s3, file);
    const kept = earlier !== undefined && signatureHolds(earlier, text, trusted, file);
    const path = artifactPath(workDir, file);
    await writeIfChanged(path, kept ? earlier : signFile(key, text));
    written.push({ file, path, size: 0, kind: 'signature' });
  }
  return written;
}

function signatureHolds(signature: string, text: Buffer, trusted: ReleasePublicKey[], name: string): boolean {
  try {
    verifyFileSignature(signature, text, trusted, { name });
    return true;
  } catch (error) {
    if (error instanceof SignatureError) return false;
    throw error;
  }
}

/**
 * The SLSA provenance of the build, signed. It names the run that made it, so a later run of the same release (a
 * resume after a lost run, a re-release) would state another: the published one is kept while it still attests
 * exactly these files and verifies.
 */
async function writeProvenance(
  services: ReleaseServices,
  release: { project: string; version: string; workDir: string },
  signing: ProvenanceInput,
  key: ReleaseKey,
  files: DigestedArtifact[],
): Promise<Artifact> {
  const subjects: Subject[] = files.map((file) => ({ name: file.file, digest: { sha256: file.sha256 } }));
  const file = provenanceFileName(release.project, release.version);
  const earlier = await published(services, signing.s3, file);
  const path = artifactPath(release.workDir, file);
  if (earlier !== undefined && provenanceHolds(earlier, subjects, trustedKeys(signing), file)) {
    await writeIfChanged(path, earlier);
  } else {
    await writeIfChanged(path, signStatement(key, provenanceOf(services, release, signing, subjects, files)));
  }
  return { file, path, size: 0, kind: 'attestation' };
}

function provenanceHolds(text: string, subjects: Subject[], trusted: ReleasePublicKey[], name: string): boolean {
  try {
    const { statement } = verifyStatement(text, trusted, name);
    const listed = (list: Subject[]) => list.map((subject) => `${subject.name} ${subject.digest.sha256}`).sort();
    return (
      statement.predicateType === slsaProvenanceType &&
      JSON.stringify(listed(statement.subject)) === JSON.stringify(listed(subjects))
    );
  } catch (error) {
    if (error instanceof EnvelopeError) return false;
    throw error;
  }
}

function provenanceOf(
  services: ReleaseServices,
  release: { project: string; version: string },
  signing: ProvenanceInput,
  subjects: Subject[],
  files: DigestedArtifact[],
) {
  const { info } = Context.current();
  const execution = info.workflowExecution;
  if (!execution) throw new Error('checksumArtifacts runs only as an activity of the release workflow');
  const gitRoot = (signing.forge.gitUrl ?? gitRootFor(signing.forge.apiUrl)).replace(/\/$/, '');
  const source = files.find((file) => file.kind === 'source');
  return provenanceStatement({
    subjects,
    external: {
      project: release.project,
      version: release.version,
      source: {
        repository: signing.repository,
        uri: `git+${gitRoot}/${signing.repository}.git`,
        commit: signing.commit,
      },
      ...(signing.configSha256 ? { config: { sha256: signing.configSha256 } } : {}),
    },
    internal: {
      targets: files.flatMap((file) =>
        file.kind === 'binary' && file.target
          ? [{ distro: file.target.distro, arch: file.target.arch, file: file.file }]
          : [],
      ),
      ...(source ? { sourceTarball: source.file } : {}),
    },
    builderId: builderId(services, info.activityNamespace, info.taskQueue),
    invocationId: `${execution.workflowId}/${execution.runId}`,
    startedOn: signing.startedAt,
    finishedOn: signing.builtAt ?? new Date().toISOString(),
  });
}

/**
 * Who built: the worker deployment, named by the worker's `RELFORGE_BUILDER_ID`, or else by the Temporal namespace and
 * task queue its workers serve — the same for every release it makes, as verifiers that pin a builder expect.
 */
function builderId(services: ReleaseServices, namespace: string, taskQueue: string): string {
  return services.env['RELFORGE_BUILDER_ID'] || `https://relforge.dev/builders/temporal/${namespace}/${taskQueue}`;
}
