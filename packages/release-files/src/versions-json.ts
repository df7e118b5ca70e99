/**
 * The container repository's `versions.json` (valkey-container): one entry per `major.minor` line, each naming
 * the release its images build, the source URL and its sha256. Keys of an entry that Relforge does not own
 * (valkey's `debian`/`alpine` base image versions) are kept as they are.
 */
import semver from 'semver';
import { z } from 'zod';
import { RelforgeError, parseInput } from '@relforge/errors';
import { DownloadUrl, Sha256Hex, Version } from './shapes.js';

export const ContainerVersion = z
  .strictObject({
    majorMinor: z.string().regex(/^\d+\.\d+$/, 'expected "<major>.<minor>", e.g. "8.1"'),
    version: Version,
    url: DownloadUrl,
    sha256: Sha256Hex,
  })
  .refine(
    ({ majorMinor, version }) => {
      const parsed = semver.parse(version);
      return parsed === null || `${parsed.major}.${parsed.minor}` === majorMinor;
    },
    { path: ['majorMinor'], message: "does not match the version's major.minor" },
  );
export type ContainerVersion = z.infer<typeof ContainerVersion>;

/** versions.json cannot be read, or the same version would get a second digest. */
export class VersionsJsonError extends RelforgeError {}

const editByHand = 'fix versions.json in the container repository by hand, then run the container-repo step again';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readVersions(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new VersionsJsonError(`versions.json is not valid JSON (${(error as Error).message})`, {
      fix: editByHand,
      cause: error,
    });
  }
  if (!isRecord(parsed))
    throw new VersionsJsonError('versions.json is not a JSON object keyed by "<major>.<minor>"', { fix: editByHand });
  return parsed;
}

/** The file's own indent, so the rewrite differs from the original only in the lines that changed. */
function indentOf(text: string): string {
  return /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
}

/**
 * Points `majorMinor` at `version`, unless it already names a higher release: a re-run, a late release candidate
 * or a patch of an older line must never take an image line backwards. Semver order puts `8.1.0-rc1` below
 * `8.1.0`, so a prerelease never replaces its own final release.
 */
export function mergeVersionsJson(
  existingText: string,
  incoming: ContainerVersion,
  /** The entry to point, when not the version's own line: a prerelease's entry of its own, e.g. "8.1-rc". */
  entry?: string,
): { text: string; changed: boolean } {
  const release = parseInput(
    ContainerVersion,
    incoming,
    'container version',
    'pass the release version, its major.minor, download URL and sha256',
  );
  const versions = readVersions(existingText);
  const key = entry ?? release.majorMinor;
  const current = versions[key];
  const { version, url, sha256 } = release;
  if (current !== undefined) {
    const where = `versions.json "${key}"`;
    if (!isRecord(current) || typeof current.version !== 'string' || semver.valid(current.version) === null) {
      throw new VersionsJsonError(`${where} has no semantic "version" to compare ${version} with`, { fix: editByHand });
    }
    const order = semver.compare(version, current.version);
    if (order < 0) return { text: existingText, changed: false };
    if (order === 0 && current.sha256 !== sha256) {
      throw new VersionsJsonError(
        `${where} already names ${version} with sha256 ${String(current.sha256)}; this release computed ${sha256}`,
        {
          fix: 'a published version must keep its digest: find out why the source archive differs, or release a new version',
        },
      );
    }
    if (order === 0 && current.url === url) return { text: existingText, changed: false };
  }
  // Spreading the current entry keeps its key order and the keys Relforge does not own.
  versions[key] = { ...(isRecord(current) ? current : {}), version, url, sha256 };
  return { text: `${JSON.stringify(versions, null, indentOf(existingText))}\n`, changed: true };
}
