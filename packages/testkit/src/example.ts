/**
 * The bundled example project, set up for one test: its repositories on the
 * stand-in under an owner of its own, a bucket of its own, and a config file
 * naming them — so tests can count effects without seeing each other's.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StandInAdmin } from '@relforge/github-standin';
import { ReleaseKey } from '@relforge/signing';
import { workspaceRoot } from '@relforge/local-servers';
import { onTestFinished } from 'vitest';
import { createTestBucket, testStack } from './fixtures.js';

export interface ExampleProject {
  project: string;
  owner: string;
  bucket: string;
  configPath: string;
  /** The worker's environment for this project: the secrets its config names and the ports its addresses use. */
  env: Record<string, string>;
  /** The release key the example signs with (its private half is `env.RELFORGE_RELEASE_KEY`). */
  releaseKey: ReleaseKey;
  /** A fresh folder for the worker's release work. */
  workRoot: string;
  admin: StandInAdmin;
  repos: { source: string; hashes: string; container: string; website: string };
}

export const exampleDir = () => join(workspaceRoot(), 'examples', 'hello');

export interface ExampleOptions {
  seedHashes?: (readme: string, project: string) => string;
  /** More files in the checksum repository's first commit, by name: e.g. an allowed_signers of an earlier key. */
  hashesFiles?: Record<string, string>;
  /** Replaces `make dist`, e.g. to make a build slow enough to kill. */
  buildCommand?: string;
  /**
   * Builds tarballs of this many MiB of incompressible bytes instead, derived from the target's name so a rebuild
   * gives the same digest: big enough for multipart uploads (8 MiB parts) that take seconds to store.
   */
  artifactMiB?: number;
  /**
   * The size of the build matrix: the example's four targets, then made-up platforms (`extra1/arch0` … `arch9`,
   * ten to a distro) up to this many. At least 4: the container repository's Dockerfiles download two of the four.
   */
  targets?: number;
  /** The stages the config runs, e.g. `['build', 'checksum']` for a bench of the build; all of them when unset. */
  stages?: readonly string[];
  /**
   * Which of the stand-in's tokens (`testStack().github.tokens`) the config names, as `RELFORGE_GITHUB_TOKEN_<n>`:
   * projects released under credentials of their own. Unset: the first token, as `RELFORGE_GITHUB_TOKEN`.
   */
  forgeToken?: number;
  /** The release key's OpenSSH private key file text; a fresh ed25519 key when unset. */
  releaseKey?: string;
}

/** The example's matrix, then ten architectures to each made-up distro, up to `targets` entries. */
function matrixYaml(targets: number): string {
  if (!Number.isInteger(targets) || targets < 4)
    throw new Error(`targets: ${targets} is not a whole number of at least 4 (the example's own targets)`);
  const lines = ['  matrix:', '    - distro: bookworm', '      arch: [x86_64, arm64]'];
  lines.push('    - distro: trixie', '      arch: [x86_64, arm64]');
  for (let distro = 1, left = targets - 4; left > 0; distro++, left -= 10) {
    const arch = Array.from({ length: Math.min(10, left) }, (_, index) => `arch${index}`);
    lines.push(`    - distro: extra${distro}`, `      arch: [${arch.join(', ')}]`);
  }
  return lines.map((line) => `${line}\n`).join('');
}

function bigArtifactBuild(mib: number): string {
  return [
    `head -c ${mib}M /dev/zero | openssl enc -aes-128-ctr -nosalt -pbkdf2 -pass "pass:$RELFORGE_DISTRO-$RELFORGE_ARCH" > payload`,
    'tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner -cf - payload | gzip -n -1 > "$RELFORGE_ARTIFACT"',
  ].join(' && ');
}

export async function createExampleProject(options: ExampleOptions = {}): Promise<ExampleProject> {
  const stack = testStack();
  const id = randomBytes(3).toString('hex');
  const owner = `test-${id}`;
  const project = `hello-${id}`;
  const bucket = await createTestBucket(project);
  const dir = mkdtempSync(join(tmpdir(), 'relforge-example-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const admin = new StandInAdmin(stack.github.url);
  const repos = {
    source: `${owner}/hello`,
    hashes: `${owner}/hello-hashes`,
    container: `${owner}/hello-container`,
    website: `${owner}/hello-website`,
  };

  const seeds = join(exampleDir(), 'seeds');
  let hashesSeed = join(seeds, 'hashes');
  if (options.seedHashes || options.hashesFiles) {
    hashesSeed = join(dir, 'hashes-seed');
    mkdirSync(hashesSeed);
    const readme = readFileSync(join(seeds, 'hashes', 'README'), 'utf8');
    writeFileSync(join(hashesSeed, 'README'), options.seedHashes ? options.seedHashes(readme, project) : readme);
    for (const [name, text] of Object.entries(options.hashesFiles ?? {})) writeFileSync(join(hashesSeed, name), text);
  }
  await admin.createRepo({ owner, name: 'hello', seedDir: join(exampleDir(), 'src') });
  await admin.createRepo({ owner, name: 'hello-hashes', seedDir: hashesSeed });
  await admin.createRepo({ owner, name: 'hello-container', seedDir: join(seeds, 'container') });
  await admin.createRepo({ owner, name: 'hello-website', seedDir: join(seeds, 'website') });

  const configPath = join(dir, 'relforge.yaml');
  let config = readFileSync(join(exampleDir(), 'relforge.yaml'), 'utf8')
    .replace(/^project: hello$/m, `project: ${project}`)
    .replaceAll('relforge-examples/', `${owner}/`)
    .replace('bucket: relforge-releases', `bucket: ${bucket}`)
    .replaceAll('/relforge-releases/', `/${bucket}/`)
    .replace(
      /^ {2}command: make dist$/m,
      `  command: ${JSON.stringify(options.artifactMiB ? bigArtifactBuild(options.artifactMiB) : (options.buildCommand ?? 'make dist'))}`,
    );
  const tokens = stack.github.tokens;
  const token = options.forgeToken === undefined ? undefined : tokens[options.forgeToken];
  if (options.forgeToken !== undefined && token === undefined)
    throw new Error(`forgeToken: ${options.forgeToken} is not one of the stand-in's ${tokens.length} tokens`);
  const tokenEnv = options.forgeToken === undefined ? undefined : `RELFORGE_GITHUB_TOKEN_${options.forgeToken}`;
  if (tokenEnv) config = config.replace('token: { env: RELFORGE_GITHUB_TOKEN }', `token: { env: ${tokenEnv} }`);
  if (options.targets !== undefined)
    config = config.replace(/^ {2}matrix:\n(?: {4}.*\n)+/m, matrixYaml(options.targets));
  if (options.stages) config = config.replace(/^build:$/m, `stages: [${options.stages.join(', ')}]\nbuild:`);
  writeFileSync(configPath, config);

  const releaseKeyText = options.releaseKey ?? ReleaseKey.generate().openssh;
  return {
    project,
    owner,
    bucket,
    configPath,
    releaseKey: ReleaseKey.parse(releaseKeyText, 'the example release key'),
    env: {
      RELFORGE_RELEASE_KEY: releaseKeyText,
      RELFORGE_GITHUB_TOKEN: stack.github.token,
      ...(tokenEnv && token ? { [tokenEnv]: token } : {}),
      RELFORGE_S3_ACCESS_KEY_ID: stack.s3.accessKeyId,
      RELFORGE_S3_SECRET_ACCESS_KEY: stack.s3.secretAccessKey,
      RELFORGE_S3_PORT: new URL(stack.s3.endpoint).port,
      RELFORGE_GITHUB_PORT: new URL(stack.github.url).port,
    },
    workRoot: join(dir, 'work'),
    admin,
    repos,
  };
}
