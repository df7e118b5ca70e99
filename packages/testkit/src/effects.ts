/**
 * What a release of the example project left in the world, counted the way
 * anyone could: S3 listings, the forge's API state, a clone of the checksum
 * repository. Fault tests compare it against `releasedOnce`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ExampleProject } from './example.js';
import { decodedHistory, testS3Client } from './fixtures.js';

export interface ReleaseEffects {
  /** Objects under the release prefix, `releases/`: what people download. */
  objects: number;
  /** Objects staged for this version under `relforge-staging/`: the files on their way between workers. */
  staged: number;
  unfinishedUploads: number;
  releases: number;
  drafts: number;
  assets: number;
  /** Distinct counts of stored uploads per asset name: `[1]` when every asset was uploaded exactly once. */
  uploadsPerAsset: number[];
  /** `hash …` lines naming this version in the checksum repository's file. */
  hashLines: number;
  containerPulls: number;
  websitePulls: number;
  contractViolations: number;
}

/**
 * The example's release done exactly once: 5 tarballs, 5 sidecars and 2 sums files, published and staged; one hash
 * line per tarball.
 */
export const releasedOnce: ReleaseEffects = {
  objects: 12,
  staged: 12,
  unfinishedUploads: 0,
  releases: 1,
  drafts: 0,
  assets: 12,
  uploadsPerAsset: [1],
  hashLines: 5,
  containerPulls: 1,
  websitePulls: 1,
  contractViolations: 0,
};

export async function releaseEffects(
  example: ExampleProject,
  version: string,
  s3 = testS3Client(),
): Promise<ReleaseEffects> {
  let objects: number;
  let staged: number;
  let unfinishedUploads: number;
  const count = async (prefix: string) =>
    (await s3.send(new ListObjectsV2Command({ Bucket: example.bucket, Prefix: prefix }))).KeyCount ?? 0;
  try {
    const all = (await s3.send(new ListObjectsV2Command({ Bucket: example.bucket }))).KeyCount ?? 0;
    objects = await count('releases/');
    staged = await count(`relforge-staging/${example.project}/${version}/`);
    // Anything elsewhere in the bucket is a stray effect, counted with the published objects so it shows.
    objects += all - objects - (await count('relforge-staging/'));
    unfinishedUploads = ((await s3.send(new ListMultipartUploadsCommand({ Bucket: example.bucket }))).Uploads ?? [])
      .length;
  } finally {
    s3.destroy();
  }
  const state = await example.admin.state();
  const releases = state.repos[example.repos.source]?.releases ?? [];
  const assets = releases.flatMap((release) => release.assets);
  return {
    objects,
    staged,
    unfinishedUploads,
    releases: releases.length,
    drafts: releases.filter((release) => release.draft).length,
    assets: assets.length,
    uploadsPerAsset: [...new Set(assets.map((asset) => asset.uploads))].sort(),
    hashLines: hashLines(example, version),
    containerPulls: state.repos[example.repos.container]?.pulls.length ?? 0,
    websitePulls: state.repos[example.repos.website]?.pulls.length ?? 0,
    contractViolations: (await example.admin.violations()).length,
  };
}

/** Read through the example's own stand-in and token, so a suite with a stack of its own (the CLI's) can count too. */
function hashLines(example: ExampleProject, version: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-effects-'));
  try {
    const auth = `Authorization: Basic ${Buffer.from(`x-access-token:${example.env['RELFORGE_GITHUB_TOKEN'] ?? ''}`).toString('base64')}`;
    execFileSync(
      'git',
      [
        '-c',
        `http.extraHeader=${auth}`,
        'clone',
        '--quiet',
        '--depth',
        '1',
        `${example.admin.url}/${example.repos.hashes}.git`,
        dir,
      ],
      {
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const prefix = `hash ${example.project}-${version}`;
    return readFileSync(join(dir, 'README'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith(prefix + '.') || line.startsWith(prefix + '-')).length;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The secret values the example's worker holds; none may appear in any history. */
export function exampleSecrets(example: ExampleProject): string[] {
  const secrets = [
    example.env['RELFORGE_GITHUB_TOKEN'],
    example.env['RELFORGE_S3_SECRET_ACCESS_KEY'],
    example.env['RELFORGE_S3_ACCESS_KEY_ID'],
  ];
  if (secrets.some((secret) => !secret || secret.length < 8))
    throw new Error("the example project's secrets are missing or too short to search for");
  return secrets as string[];
}

/** The secrets found in a history (exported as JSON by the SDK or `temporal workflow show --output json`), decoded. */
export function secretsInHistory(historyJson: string, secrets: string[]): string[] {
  const text = decodedHistory(historyJson);
  return secrets.filter((secret) => text.includes(secret));
}
