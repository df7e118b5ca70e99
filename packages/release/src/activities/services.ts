/**
 * What the release activities run against, built from a project's config and
 * the worker's environment: the forge, the artifact store, git and the
 * folders on the worker.
 */
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { describeSecret, type ProjectConfig } from '@relforge/config';
import { GitHubForge, parseRepo, type Forge, type RepoRef } from '@relforge/forge';
import type { Git, GitRemote } from '@relforge/git';
import { S3ObjectStore } from '@relforge/object-store';
import type { JetStreamEventLog } from '@relforge/release-events/jetstream';
import { resolveSecret } from './secrets.js';

export interface ReleaseServices {
  /** Config file of each project this worker releases, by project name. */
  projects: ReadonlyMap<string, string>;
  /** Root of per-release folders on this worker. */
  workRoot: string;
  /** Where secrets named by `{env}` are looked up. */
  env: NodeJS.ProcessEnv;
  git: Git;
  /** Where the release events go (JetStream); absent on a worker without RELFORGE_NATS_URL, whose releases log none. */
  events?: ReleaseEventLog;
}

/** What the event steps need of the log: the JetStream one, or a stand-in in tests of the workflow alone. */
export type ReleaseEventLog = Pick<JetStreamEventLog, 'claim' | 'append'>;

export function forgeFor(
  forge: ProjectConfig['forge'],
  services: ReleaseServices,
  onWait?: (reason: string, seconds: number) => void,
): Forge {
  const { auth } = forge;
  const common = {
    apiUrl: forge.apiUrl,
    ...(forge.gitUrl ? { gitUrl: forge.gitUrl } : {}),
    ...(onWait ? { onWait } : {}),
  };
  if ('token' in auth) {
    return new GitHubForge({
      ...common,
      auth: { token: resolveSecret(auth.token, 'forge.auth.token', services.env) },
      credentialName: `the token in ${describeSecret(auth.token)} (forge.auth.token)`,
    });
  }
  return new GitHubForge({
    ...common,
    auth: {
      appId: auth.app.appId,
      installationId: auth.app.installationId,
      privateKey: resolveSecret(auth.app.privateKey, 'forge.auth.app.privateKey', services.env),
    },
    credentialName: `GitHub App ${auth.app.appId} (installation ${auth.app.installationId}, key in ${describeSecret(auth.app.privateKey)})`,
  });
}

export async function remoteFor(forge: Forge, repository: string): Promise<GitRemote & { repo: RepoRef }> {
  const repo = parseRepo(repository);
  const access = await forge.gitAccess(repo);
  return { url: access.url, authHeader: access.authHeader, repo };
}

export function storeFor(s3: ProjectConfig['publish']['s3'], services: ReleaseServices): S3ObjectStore {
  const credentials = s3.credentials
    ? {
        accessKeyId: resolveSecret(s3.credentials.accessKeyId, 'publish.s3.credentials.accessKeyId', services.env),
        secretAccessKey: resolveSecret(
          s3.credentials.secretAccessKey,
          'publish.s3.credentials.secretAccessKey',
          services.env,
        ),
      }
    : undefined;
  const client = new S3Client({
    region: s3.region,
    forcePathStyle: s3.forcePathStyle,
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    ...(credentials ? { credentials } : {}),
  });
  return new S3ObjectStore({ bucket: s3.bucket, client });
}

/** Where people download a published file from. */
export function publicUrl(publicBaseUrl: string, file: string): string {
  return `${publicBaseUrl.replace(/\/$/, '')}/${file}`;
}

/**
 * The release's folder on this worker. The plan names the folder on the worker that prepared the release; a step
 * on another machine works in its own worker's folder, found the same way.
 */
export function releaseDir(
  services: ReleaseServices,
  release: { workDir: string; project?: string; version?: { text: string } },
): string {
  if (release.project === undefined || release.version === undefined) return release.workDir;
  return join(services.workRoot, release.project, release.version.text);
}

/** Every file a release makes lives in one folder of its work folder, under its own name. */
export const artifactsDir = (workDir: string) => join(workDir, 'artifacts');
export const artifactPath = (workDir: string, file: string) => join(artifactsDir(workDir), file);
