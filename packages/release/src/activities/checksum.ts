/**
 * The checksum stage: SHA-256 and SHA-512 of every tarball in one read each,
 * a `sha256sum`-format sidecar per tarball and combined SHA256SUMS/SHA512SUMS
 * files. The digests recorded here are the ones every later step verifies.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checksumFileNames, checksumsText, digestFile, sidecarText } from '@relforge/checksum';
import { isTarball, ReleaseFailureType, type Artifact, type DigestedArtifact } from '../shared.js';
import { stepInputs, type ChecksumInput, type PlanInput } from '../step-inputs.js';
import { PermanentError } from './failures.js';
import { withHeartbeat } from './heartbeat.js';
import { artifactPath, artifactsDir, releaseDir, type ReleaseServices } from './services.js';
import { fetchStaged, stageFile, stagingFor } from './staging.js';

/** Rewriting the same text would still be a change on disk; a retried checksum step leaves files it agrees with alone. */
async function writeIfChanged(path: string, text: string): Promise<void> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current !== text) await writeFile(path, text);
}

export async function checksumArtifacts(
  services: ReleaseServices,
  input: ChecksumInput | PlanInput<{ artifacts: Artifact[] }>,
): Promise<DigestedArtifact[]> {
  const step = 'plan' in input ? stepInputs.checksumArtifacts(input.plan, input.artifacts) : input;
  const { project, version } = step;
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
    // The steps after this one may run on another worker of the main queue: they find these files staged.
    if (staging) for (const artifact of written) await stageFile(staging, artifact.file, artifact.path, heartbeat);
    return files;
  });
}
