/** The small value shapes every release file is built from. */
import semver from 'semver';
import { z } from 'zod';

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');

/** Written into line-based files and URLs, so no whitespace can split or inject a line. */
export const DownloadUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .refine((url) => !/\s/.test(url), 'expected a URL without whitespace');

/** `8.1.0`, `8.1.0-rc1`: strict semver, no leading "v", as tags and file names carry it. */
export const Version = z
  .string()
  .refine((version) => semver.valid(version) === version, 'expected a semantic version such as "8.1.0" or "8.1.0-rc1"');

/** Distro and architecture names, as the build matrix writes them. */
export const Token = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lowercase letters, digits, ".", "_" or "-"');
