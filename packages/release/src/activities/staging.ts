/**
 * Files on their way between machines. A builder's tarball and the checksum stage's files are made on one worker
 * and read by steps that may run on another, so the step that makes a file also stores it in the bucket's private
 * staging prefix, under a key fixed by project, version, commit and name; a step that needs a file it does not have fetches
 * it from there, checking its digest. Staging is create-only, like publishing: the first copy of a file is the file.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { digestFile } from '@relforge/checksum';
import type { ProjectConfig } from '@relforge/config';
import { ObjectExistsError, type ObjectInfo, type S3ObjectStore } from '@relforge/object-store';
import { ReleaseFailureType } from '../shared.js';
import { PermanentError } from './failures.js';
import type { Heartbeat } from './heartbeat.js';
import { storeFor, type ReleaseServices } from './services.js';

type S3Config = ProjectConfig['publish']['s3'];

/** Where a release's files wait in the bucket: private, outside the public release prefix. */
export interface Staging {
  store: S3ObjectStore;
  key: (file: string) => string;
  where: (file: string) => string;
}

/**
 * The staging of a step's input; none for inputs recorded before staging, whose config has no stagingPrefix. The
 * commit is part of the key: a release started again after the branch moved builds anew instead of reusing a file.
 */
export function stagingFor(
  s3: S3Config | undefined,
  release: { project?: string; version?: { text: string }; commit?: string },
  services: ReleaseServices,
): Staging | undefined {
  const { project, version, commit } = release;
  if (s3?.stagingPrefix === undefined || project === undefined || version === undefined || commit === undefined) return;
  const store = storeFor(s3, services);
  const folder = `${s3.stagingPrefix}${project}/${version.text}/${commit}/`;
  const key = (file: string) => folder + file;
  return { store, key, where: (file) => `s3://${store.bucket}/${key(file)}` };
}

function stagedConflict(staging: Staging, file: string, info: ObjectInfo, mine: { sha256: string; size: number }) {
  return new PermanentError(
    ReleaseFailureType.DigestConflict,
    `${staging.where(file)} already holds another ${file} (sha256 ${info.metadata['sha256'] ?? 'unknown'}, ${info.size} bytes) than the one just made here (sha256 ${mine.sha256}, ${mine.size} bytes)`,
    {
      fix: 'two workers made this file with different bytes: make the build reproducible (SOURCE_DATE_EPOCH is set), delete the staged object by hand and resume',
    },
  );
}

/** Stores a file this worker made, unless the same bytes are staged already. */
export async function stageFile(staging: Staging, file: string, path: string, heartbeat: Heartbeat): Promise<void> {
  const mine = await digestFile(path, { signal: heartbeat.signal });
  const same = (info: ObjectInfo) => info.size === mine.size && info.metadata['sha256'] === mine.sha256;
  const existing = await staging.store.head(staging.key(file));
  if (existing) {
    if (!same(existing)) throw stagedConflict(staging, file, existing, mine);
    return;
  }
  await staging.store.abortUnfinishedUploads(staging.key(file));
  try {
    await staging.store.upload(staging.key(file), createReadStream(path), {
      size: mine.size,
      sha256: mine.sha256,
      metadata: { sha256: mine.sha256 },
      ifAbsent: true,
      onProgress: (bytes) => heartbeat.progress({ staging: file, bytes }),
    });
  } catch (error) {
    // Stored by an attempt whose reply never came, or by another worker meanwhile: fine if it is the same file.
    if (!(error instanceof ObjectExistsError)) throw error;
    const info = await staging.store.head(staging.key(file));
    if (!info) throw error;
    if (!same(info)) throw stagedConflict(staging, file, info, mine);
  }
}

/** The size of a file another worker staged, if one did. */
export async function stagedSize(staging: Staging, file: string): Promise<number | undefined> {
  return (await staging.store.head(staging.key(file)))?.size;
}

/**
 * Puts a staged file at `path` unless it is there already, checked against the digest it was staged with (and the
 * one the release recorded, when known). A partial download never takes the file's place.
 */
export async function fetchStaged(
  staging: Staging,
  file: string,
  path: string,
  heartbeat: Heartbeat,
  expected?: { sha256: string },
): Promise<void> {
  if (existsSync(path)) return;
  const info = await staging.store.head(staging.key(file));
  if (!info) {
    throw new PermanentError(
      ReleaseFailureType.MissingArtifact,
      `${file} is neither on this worker nor staged at ${staging.where(file)}`,
      {
        fix: 'the worker that made it stopped before staging it, or the staged object was deleted: start the release again with `relforge release` (steps that are done are skipped)',
      },
    );
  }
  const want = expected?.sha256 ?? info.metadata['sha256'];
  await mkdir(dirname(path), { recursive: true });
  const partial = `${path}.fetching`;
  await pipeline(await staging.store.get(staging.key(file)), createWriteStream(partial), { signal: heartbeat.signal });
  const got = await digestFile(partial, { signal: heartbeat.signal });
  heartbeat.progress({ fetched: file });
  if (got.sha256 !== want || got.size !== info.size) {
    await rm(partial, { force: true });
    throw new PermanentError(
      ReleaseFailureType.DigestConflict,
      `${staging.where(file)} holds sha256 ${got.sha256}, ${got.size} bytes; expected sha256 ${want ?? 'unknown'}, ${info.size} bytes`,
      { fix: 'the staged object was changed after it was stored: delete it by hand and resume, so it is made again' },
    );
  }
  await rename(partial, path);
}
