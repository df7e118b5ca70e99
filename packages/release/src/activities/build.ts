/**
 * Builds: one activity per matrix target, each in a clean checkout of the
 * release commit, plus the source tarball. An artifact already built from the
 * same commit is kept (check before create), so a retried or resumed release
 * does not rebuild it and its digest stays the one already published.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { artifactFileName } from '@relforge/config';
import type { Artifact, BuildTarget, ReleasePlan } from '../shared.js';
import { PermanentError } from './failures.js';
import { withHeartbeat } from './heartbeat.js';
import { forgeFor, remoteFor, type ReleaseServices } from './services.js';

export const artifactsDir = (plan: ReleasePlan) => join(plan.workDir, 'artifacts');

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

async function tail(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

async function checkout(services: ReleaseServices, plan: ReleasePlan, dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const remote = await remoteFor(forgeFor(plan.config, services), plan.config.source.repository);
  await services.git.checkoutCommit(remote, dir, plan.sourceCommit);
}

export async function buildTarget(
  services: ReleaseServices,
  { plan, target }: { plan: ReleasePlan; target: BuildTarget },
): Promise<Artifact> {
  const file = artifactFileName(plan.project, plan.version.text, target);
  const path = join(artifactsDir(plan), file);
  const existing = await alreadyBuilt(path, plan.sourceCommit);
  if (existing !== undefined) return { file, path, size: existing, kind: 'binary', target };

  const name = `${target.distro}-${target.arch}`;
  const dir = join(plan.workDir, 'build', name);
  const source = join(dir, 'src');
  const out = join(dir, 'out');
  const logFile = join(plan.workDir, 'logs', `build-${name}.log`);
  await mkdir(join(plan.workDir, 'logs'), { recursive: true });
  return withHeartbeat(async (heartbeat) => {
    await checkout(services, plan, source);
    await mkdir(out, { recursive: true });
    const commitTime = await services.git.run(['log', '-1', '--format=%ct', plan.sourceCommit], { cwd: source });
    const command = plan.config.build.command;
    const [program, args] =
      typeof command === 'string' ? ['sh', ['-c', command]] : [command[0] as string, command.slice(1)];
    const log = createWriteStream(logFile);
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(program, args, {
        cwd: source,
        env: {
          ...process.env,
          RELFORGE_PROJECT: plan.project,
          RELFORGE_VERSION: plan.version.text,
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
        'BuildFailed',
        `build of ${name} ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`}; ${logFile} ends with:\n${await tail(logFile, 15)}`,
        {
          fix: 'fix the build on the source branch, then start the release again (the failed release keeps nothing published)',
        },
      );
    }
    const built = join(out, file);
    if (!existsSync(built)) {
      throw new PermanentError(
        'MissingArtifact',
        `build of ${name} succeeded but did not write ${file} into $RELFORGE_OUT`,
        {
          fix: `make the build command write its tarball to $RELFORGE_ARTIFACT (${file}); see ${logFile}`,
        },
      );
    }
    return { file, path, size: await keep(path, built, plan.sourceCommit), kind: 'binary' as const, target };
  });
}

export async function buildSourceTarball(
  services: ReleaseServices,
  { plan }: { plan: ReleasePlan },
): Promise<Artifact> {
  const file = artifactFileName(plan.project, plan.version.text);
  const path = join(artifactsDir(plan), file);
  const existing = await alreadyBuilt(path, plan.sourceCommit);
  if (existing !== undefined) return { file, path, size: existing, kind: 'source' };
  return withHeartbeat(async () => {
    const source = join(plan.workDir, 'build', 'source', 'src');
    await checkout(services, plan, source);
    const built = join(plan.workDir, 'build', 'source', file);
    await services.git.archive(source, plan.sourceCommit, `${plan.project}-${plan.version.text}`, built);
    return { file, path, size: await keep(path, built, plan.sourceCommit), kind: 'source' as const };
  });
}
