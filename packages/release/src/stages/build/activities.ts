/**
 * Builds: one activity per matrix target, each in a clean checkout of the
 * release commit, plus the source tarball. An artifact already built from the
 * same commit is kept (check before create), so a retried or resumed release
 * does not rebuild it and its digest stays the one already published.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { artifactFileName } from '@relforge/config';
import { ReleaseFailureType, type Artifact, type BuildTarget } from '../../shared.js';
import type { PlanInput } from '../inputs.js';
import { buildInputs, type BuildInput, type SourceInput } from './inputs.js';
import { PermanentError } from '../../activities/failures.js';
import { withHeartbeat, type Heartbeat } from '../../activities/heartbeat.js';
import { artifactPath, forgeFor, releaseDir, remoteFor, type ReleaseServices } from '../../activities/services.js';
import { stagedSize, stageFile, stagingFor, type Staging } from '../../activities/staging.js';

/** The artifact if an earlier attempt built it from this commit. */
async function alreadyBuilt(path: string, commit: string): Promise<number | undefined> {
  try {
    const [from, info] = await Promise.all([readFile(`${path}.built-from`, 'utf8'), stat(path)]);
    return from.trim() === commit ? info.size : undefined;
  } catch {
    return undefined;
  }
}

async function keep(path: string, built: string, commit: string): Promise<number> {
  await mkdir(join(path, '..'), { recursive: true });
  await rename(built, path);
  await writeFile(`${path}.built-from`, `${commit}\n`);
  return (await stat(path)).size;
}

/**
 * An artifact made before, here or (staged) by another builder: kept, so a retried or resumed release does not
 * rebuild it. One built here but not yet staged, by an attempt that died in between, is staged now.
 */
async function madeBefore(
  path: string,
  file: string,
  commit: string,
  staging: Staging | undefined,
): Promise<number | undefined> {
  const here = await alreadyBuilt(path, commit);
  if (here !== undefined) {
    if (staging) await withHeartbeat((heartbeat) => stageFile(staging, file, path, heartbeat));
    return here;
  }
  return staging ? stagedSize(staging, file) : undefined;
}

/** Keeps a new artifact in this worker's artifacts folder, and stages it for the steps that may run elsewhere. */
async function keepAndStage(
  path: string,
  built: string,
  commit: string,
  staging: Staging | undefined,
  heartbeat: Heartbeat,
): Promise<number> {
  const size = await keep(path, built, commit);
  if (staging) await stageFile(staging, basename(path), path, heartbeat);
  return size;
}

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function checkout(services: ReleaseServices, source: SourceInput, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const remote = await remoteFor(forgeFor(source.forge, services), source.repository);
  await services.git.checkoutCommit(remote, dir, source.commit);
}

export async function buildTarget(
  services: ReleaseServices,
  input: BuildInput | PlanInput<{ target: BuildTarget }>,
): Promise<Artifact> {
  const build = 'plan' in input ? buildInputs.buildTarget(input.plan, input.target) : input;
  const { target, commit } = build;
  const workDir = releaseDir(services, build);
  const staging = stagingFor(build.staging, build, services);
  const file = artifactFileName(build.project, build.version.text, target);
  const path = artifactPath(workDir, file);
  const existing = await madeBefore(path, file, commit, staging);
  if (existing !== undefined) return { file, path, size: existing, kind: 'binary', target };

  const name = `${target.distro}-${target.arch}`;
  const dir = join(workDir, 'build', name);
  const source = join(dir, 'src');
  const out = join(dir, 'out');
  const logFile = join(workDir, 'logs', `build-${name}.log`);
  await mkdir(join(workDir, 'logs'), { recursive: true });
  return withHeartbeat(async (heartbeat) => {
    await checkout(services, build, source);
    await mkdir(out, { recursive: true });
    const commitTime = await services.git.run(['log', '-1', '--format=%ct', commit], { cwd: source });
    const command = build.command;
    const [program, args] =
      typeof command === 'string' ? ['sh', ['-c', command]] : [command[0] as string, command.slice(1)];
    const log = createWriteStream(logFile);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(program, args, {
        cwd: source,
        env: {
          ...process.env,
          RELFORGE_PROJECT: build.project,
          RELFORGE_VERSION: build.version.text,
          RELFORGE_DISTRO: target.distro,
          RELFORGE_ARCH: target.arch,
          RELFORGE_OUT: out,
          RELFORGE_ARTIFACT: join(out, file),
          // Reproducible builds stamp this instead of the clock, so a rebuild gives the same bytes.
          SOURCE_DATE_EPOCH: commitTime,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        signal: heartbeat.signal,
      });
      let bytes = 0;
      const record = (chunk: Buffer) => {
        bytes += chunk.length;
        log.write(chunk);
        heartbeat.progress({ target: name, logBytes: bytes });
      };
      child.stdout.on('data', record);
      child.stderr.on('data', record);
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    await new Promise((resolve) => log.end(resolve));
    if (exit.code !== 0) {
      throw new PermanentError(
        ReleaseFailureType.BuildFailed,
        `build of ${name} ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`}; ${logFile} ends with:\n${await tail(logFile, 15)}`,
        {
          fix: 'fix the build on the source branch, then start the release again (the failed release keeps nothing published)',
        },
      );
    }
    const built = join(out, file);
    if (!existsSync(built)) {
      throw new PermanentError(
        ReleaseFailureType.MissingArtifact,
        `build of ${name} succeeded but did not write ${file} into $RELFORGE_OUT`,
        {
          fix: `make the build command write its tarball to $RELFORGE_ARTIFACT (${file}); see ${logFile}`,
        },
      );
    }
    const size = await keepAndStage(path, built, commit, staging, heartbeat);
    return { file, path, size, kind: 'binary' as const, target };
  });
}

export async function buildSourceTarball(
  services: ReleaseServices,
  input: SourceInput | PlanInput<object>,
): Promise<Artifact> {
  const release = 'plan' in input ? buildInputs.buildSourceTarball(input.plan) : input;
  const { commit } = release;
  const workDir = releaseDir(services, release);
  const staging = stagingFor(release.staging, release, services);
  const file = artifactFileName(release.project, release.version.text);
  const path = artifactPath(workDir, file);
  const existing = await madeBefore(path, file, commit, staging);
  if (existing !== undefined) return { file, path, size: existing, kind: 'source' };
  return withHeartbeat(async (heartbeat) => {
    const source = join(workDir, 'build', 'source', 'src');
    await checkout(services, release, source);
    const built = join(workDir, 'build', 'source', file);
    await services.git.archive(source, commit, `${release.project}-${release.version.text}`, built);
    const size = await keepAndStage(path, built, commit, staging, heartbeat);
    return { file, path, size, kind: 'source' as const };
  });
}
