/**
 * The fast tier's release: the real workflow on its own dev server, with stub activities that return what the real
 * ones would (same shapes, realistic sizes) and record what they were asked, so the workflow's decisions are tested in
 * seconds, without S3, git or a forge.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection } from '@temporalio/worker';
import {
  artifactFileName,
  buildTargets,
  loadProjectConfig,
  parseVersion,
  releaseName,
  releaseTag,
  stagesToRun,
} from '@relforge/config';
import { checksumFileNames } from '@relforge/checksum';
import {
  ReleaseFailureType,
  releaseWorkflowId,
  type BuildTarget,
  type DigestedArtifact,
  type ReleaseInput,
  type ReleasePlan,
} from '@relforge/release';
import { Git } from '@relforge/git';
import { createReleaseActivities, type ReleaseActivities, type ReleaseEventLog } from '@relforge/release/activities';
import type { release } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { exampleDir, startDevServer, type DevServer, type DevServerOptions } from '@relforge/testkit';
import { afterAll, beforeAll } from 'vitest';
import { releaseWorker, workflowBundle, type ReleaseWorkers } from '../harness.js';

export interface FastServer {
  client: Client;
  /** Workers of the main queue and of each platform given, with these activities, on this file's server. */
  workers(activities: ReleaseActivities, builds: BuildTarget[]): Promise<ReleaseWorkers>;
  start(input: ReleaseInput): Promise<WorkflowHandleWithFirstExecutionRunId<typeof release>>;
}

/** A dev server of the calling test file, started before its tests and stopped after. */
export function fastServer(options: DevServerOptions = {}): () => FastServer {
  let server: DevServer | undefined;
  let native: NativeConnection | undefined;
  let fast: FastServer | undefined;
  beforeAll(async () => {
    server = await startDevServer(options);
    native = await NativeConnection.connect({ address: server.address });
    const { client } = server.env;
    const connection = native;
    const namespace = server.namespace;
    fast = {
      client,
      workers: async (activities, builds) =>
        releaseWorker({ native: connection }, activities, {
          builds,
          connection,
          namespace,
          workflowBundle: await workflowBundle(),
        }),
      start: (input) =>
        client.workflow.start<typeof release>('release', {
          taskQueue,
          workflowId: releaseWorkflowId(input.project, input.version),
          args: [input],
        }),
    };
  });
  afterAll(async () => {
    await native?.close();
    await server?.teardown();
  });
  return () => {
    if (!fast) throw new Error('the fast server starts in beforeAll: use it inside tests');
    return fast;
  };
}

const archs = ['x86_64', 'arm64', 'riscv64', 's390x'];

/** `targets` matrix targets: the example's four (its container templates name them), then more distros of 4 archs. */
export function matrixOf(targets: number): BuildTarget[] {
  const matrix: BuildTarget[] = ['bookworm', 'trixie'].flatMap((distro) =>
    ['x86_64', 'arm64'].map((arch) => ({ distro, arch })),
  );
  for (let index = 0; matrix.length < targets; index++) {
    for (const arch of archs) if (matrix.length < targets) matrix.push({ distro: `distro${index}`, arch });
  }
  return matrix.slice(0, targets);
}

/** The example's config with another matrix, as a file, loaded as prepare loads it. */
export async function exampleConfig(
  project: string,
  matrix: BuildTarget[],
  overrides: { timeout?: string; extra?: string } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-fast-'));
  try {
    const byDistro = new Map<string, string[]>();
    for (const { distro, arch } of matrix) byDistro.set(distro, [...(byDistro.get(distro) ?? []), arch]);
    const yaml = readFileSync(join(exampleDir(), 'relforge.yaml'), 'utf8')
      .replace(/^project: hello$/m, `project: ${project}`)
      .replace(
        / {2}matrix:\n(?: {4}- distro: .*\n {6}arch: .*\n)+/,
        `  matrix:\n${[...byDistro].map(([distro, arch]) => `    - distro: ${distro}\n      arch: [${arch.join(', ')}]\n`).join('')}`,
      )
      .replace(/^ {2}timeout: .*$/m, `  timeout: ${overrides.timeout ?? '5m'}`)
      .concat(overrides.extra ?? '');
    const path = join(dir, 'relforge.yaml');
    writeFileSync(path, yaml);
    return { config: await loadProjectConfig(path, {}), sha256: createHash('sha256').update(yaml).digest('hex') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hex = (text: string, algorithm: 'sha1' | 'sha256' | 'sha512') => createHash(algorithm).update(text).digest('hex');

export type Call = { name: keyof ReleaseActivities; input: unknown };

export interface StubOptions {
  project: string;
  version: string;
  matrix?: BuildTarget[];
  /** Make a step fail for good (non-retryable) this many times before it succeeds. */
  failing?: { activity: keyof ReleaseActivities; times: number; type?: string };
  /** The build.timeout a second prepare (a resume with reloadConfig) reads. */
  reloadedTimeout?: string;
  /** prepare finds the version released already. */
  alreadyReleased?: boolean;
  /** prepare checked a release key, so the release is signed (the example's config names one). */
  signed?: boolean;
  /** Where the release's events go (the real event steps run against it); none: the run logs no events. */
  events?: ReleaseEventLog;
  /** YAML appended to the example's config, e.g. an `approval:` section. */
  extraConfig?: string;
}

/** A public release key as prepare records it; no private key is needed where every step is a stub. */
const stubKey = {
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHabqSQ4SshGM92v1MmOh0ppQphsqtLKnqs8bjbp7GiI',
  fingerprint: 'SHA256:mDAVhc/jc9ssyn4FUzaHn2+rSEyAAlxjDKgJ22W2crw',
};

/** Stub activities with realistic results, recording every call in order. */
export function stubActivities(options: StubOptions): { activities: ReleaseActivities; calls: Call[] } {
  const calls: Call[] = [];
  const matrix = options.matrix ?? matrixOf(4);
  let failuresLeft = options.failing?.times ?? 0;
  let prepares = 0;
  const workDir = `/var/lib/relforge/work/${options.project}/${options.version}`;
  const record = (name: keyof ReleaseActivities, input: unknown) => {
    calls.push({ name, input });
    if (options.failing?.activity === name && failuresLeft > 0) {
      failuresLeft--;
      throw ApplicationFailure.create({
        type: options.failing.type ?? 'HashesConflictError',
        message: `${name} failed for good (stub) — fix: resume once fixed`,
        nonRetryable: true,
      });
    }
  };
  /** Each step is sent only its part: an input carrying the whole plan means the workflow regressed. */
  const part = <T extends object>(input: T): Exclude<T, { plan: unknown }> => {
    if ('plan' in input) throw new Error('a step received the whole plan');
    return input as Exclude<T, { plan: unknown }>;
  };
  const digested = (file: string, kind: DigestedArtifact['kind'], target?: BuildTarget): DigestedArtifact => ({
    file,
    path: join(workDir, 'artifacts', file),
    size: kind === 'binary' || kind === 'source' ? 48_213_504 : 180,
    kind,
    ...(target ? { target } : {}),
    sha256: hex(file, 'sha256'),
    sha512: hex(file, 'sha512'),
  });
  // The event steps (and the train's config step) are the real ones: they touch nothing the stubs stand in for.
  const { openEventLog, publishEvents, prepareTrain } = createReleaseActivities({
    projects: new Map(),
    workRoot: workDir,
    env: {},
    git: new Git(),
    ...(options.events ? { events: options.events } : {}),
  });
  const activities: ReleaseActivities = {
    openEventLog,
    publishEvents,
    prepareTrain,
    async prepareRelease(input) {
      record('prepareRelease', input);
      if (options.alreadyReleased) {
        throw ApplicationFailure.create({
          type: ReleaseFailureType.AlreadyReleased,
          message: `${input.project} ${input.version} was already released by run 0123; this run did nothing`,
          nonRetryable: true,
        });
      }
      prepares++;
      const reload = prepares > 1 && options.reloadedTimeout;
      const { config, sha256 } = await exampleConfig(options.project, matrix, {
        ...(reload ? { timeout: options.reloadedTimeout } : {}),
        ...(options.extraConfig ? { extra: options.extraConfig } : {}),
      });
      const version = parseVersion(input.version);
      return {
        project: config.project,
        version,
        config,
        configFile: { path: `/etc/relforge/${config.project}.yaml`, sha256 },
        sourceCommit: hex(`${input.project}@${input.version}`, 'sha1'),
        stages: [...stagesToRun(config)],
        targets: buildTargets(config),
        tag: releaseTag(config, version),
        releaseName: releaseName(config, version),
        workDir,
        startedAt: input.startedAt,
        ...(options.signed ? { releaseKey: stubKey } : {}),
      } satisfies ReleasePlan;
    },
    async buildTarget(input) {
      record('buildTarget', input);
      const { project, version, target } = part(input);
      const file = artifactFileName(project, version.text, target);
      return { file, path: join(workDir, 'artifacts', file), size: 48_213_504, kind: 'binary', target };
    },
    async buildSourceTarball(input) {
      record('buildSourceTarball', input);
      const { project, version } = part(input);
      const file = artifactFileName(project, version.text);
      return { file, path: join(workDir, 'artifacts', file), size: 1_204_224, kind: 'source' };
    },
    async checksumArtifacts(input) {
      record('checksumArtifacts', input);
      const { project, version, artifacts, signing } = part(input);
      const tarballs = artifacts.map((artifact) => digested(artifact.file, artifact.kind, artifact.target));
      const names = checksumFileNames(project, version.text);
      return [
        ...tarballs,
        ...tarballs.map((tarball) => digested(`${tarball.file}.sha256`, 'sidecar')),
        digested(names.sha256, 'checksums'),
        digested(names.sha512, 'checksums'),
        ...(signing
          ? [
              digested(`${names.sha256}.sig`, 'signature'),
              digested(`${names.sha512}.sig`, 'signature'),
              digested(`${project}-${version.text}.provenance.intoto.jsonl`, 'attestation'),
            ]
          : []),
      ];
    },
    async uploadArtifacts(input) {
      record('uploadArtifacts', input);
      const { s3, artifacts } = part(input);
      const objects = artifacts.map((artifact) => ({
        file: artifact.file,
        key: `${s3.prefix}${artifact.file}`,
        url: `${s3.publicBaseUrl}/${artifact.file}`,
        status: 'uploaded' as const,
      }));
      return { objects, uploaded: objects.length, unchanged: 0, bucketPolicy: 'added' as const };
    },
    async stageForgeRelease(input) {
      record('stageForgeRelease', input);
      const { repository, tag, artifacts } = part(input);
      return {
        releaseId: 4711,
        url: `https://github.com/${repository}/releases/tag/untagged-${tag}`,
        uploaded: artifacts.length,
        unchanged: 0,
      };
    },
    async publishForgeRelease(input) {
      record('publishForgeRelease', input);
      const { repository, tag } = part(input);
      return { url: `https://github.com/${repository}/releases/tag/${tag}`, tag, alreadyPublished: false };
    },
    async updateChecksumRepo(input) {
      record('updateChecksumRepo', input);
      const { artifacts } = part(input);
      return { commit: hex(JSON.stringify(artifacts), 'sha1'), added: artifacts.length, unchanged: 0 };
    },
    async updateContainerRepo(input) {
      record('updateContainerRepo', input);
      const { settings, version } = part(input);
      return {
        url: `https://github.com/${settings?.repository}/pull/7`,
        branch: `update-${version.text}`,
        status: 'created',
      };
    },
    async updateWebsite(input) {
      record('updateWebsite', input);
      const { settings, version } = part(input);
      return {
        url: `https://github.com/${settings?.repository}/pull/9`,
        branch: `update-website-${version.text}`,
        status: 'created',
      };
    },
    // The rollback steps: each reports what a real one would find for a release that stopped where this one did.
    async withdrawPullRequest(input) {
      record('withdrawPullRequest', input);
      const { repository, branch } = input;
      return {
        removed: [{ what: `pull request #7 of ${repository}: closed` }, { what: `branch ${branch} of ${repository}` }],
        kept: [],
      };
    },
    async withdrawForgeRelease(input) {
      record('withdrawForgeRelease', input);
      const { repository, tag } = input;
      return { removed: [{ what: `draft release ${tag} of ${repository} with 12 assets` }], kept: [] };
    },
    async withdrawUploads(input) {
      record('withdrawUploads', input);
      const { s3, artifacts } = input;
      return {
        removed: artifacts.map((artifact) => ({ what: `s3://${s3.bucket}/${s3.prefix}${artifact.file}` })),
        kept: [],
      };
    },
    async withdrawStagedFiles(input) {
      record('withdrawStagedFiles', input);
      const { s3, project, version, commit, files } = input;
      const folder = `s3://${s3.bucket}/${s3.stagingPrefix ?? ''}${project}/${version}/${commit}/`;
      return { removed: files.map((file) => ({ what: folder + file })), kept: [] };
    },
    async attestPublication(input) {
      record('attestPublication', input);
      const { project, version, s3 } = part(input);
      const file = `${project}-${version.text}.publish.intoto.jsonl`;
      return { ...digested(file, 'attestation'), url: `${s3.publicBaseUrl}/${file}`, status: 'attested' };
    },
  };
  return { activities, calls };
}
