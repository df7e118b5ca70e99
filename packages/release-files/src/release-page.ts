/**
 * The website's page for one release (valkey-io.github.io `content/download/releases/v8-0-1.md`): Zola front
 * matter in YAML between `---` lines, then the page body. The site builds each download link as
 * `artifact_source + artifact_fname + "-" + tag + "-" + distro + "-" + arch + ".tar.gz"`, with the `.sha256`
 * sidecar next to it, so those fields must agree with what the publish step uploaded.
 */
import { Document, Scalar } from 'yaml';
import { z } from 'zod';
import { parseInput } from '@relforge/errors';
import { Token, Version } from './shapes.js';

const PathSegment = z.string().regex(/^[^\s/]+$/, 'expected one word without whitespace or "/"');

export const ReleasePage = z.strictObject({
  version: Version,
  /** Passed in, never read from the clock: a retried activity must render the same page. */
  date: z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
    error: 'expected an ISO date ("2025-08-14") or date-time ("2025-08-14T10:00:00Z")',
  }),
  tag: PathSegment,
  /** Base URL the artifacts are downloaded from. */
  artifactSource: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  /** The artifacts' file-name prefix: the project name. */
  artifactFname: PathSegment,
  artifacts: z.array(z.strictObject({ distro: Token, arch: z.array(Token).min(1, 'list at least one architecture') })),
  /** Markdown below the front matter, e.g. the release notes. */
  body: z.string().optional(),
  /** Written as `extra.prerelease: true`, so the site can show the page apart from stable releases. */
  prerelease: z.boolean().optional(),
});
export type ReleasePage = z.infer<typeof ReleasePage>;

/** `<dir>/v8-1-0-rc1.md` for 8.1.0-rc1: the site's file naming, dots as dashes. */
export function websiteReleasePath(dir: string, version: string): string {
  const valid = parseInput(Version, version, 'release page version', 'pass the release version, e.g. "8.1.0"');
  const file = `v${valid.replaceAll('.', '-')}.md`;
  // Repository paths are always "/"-separated, whatever the worker's platform.
  const folder = dir.replace(/\/+$/, '');
  return folder === '' ? file : `${folder}/${file}`;
}

export function renderReleasePage(page: ReleasePage): string {
  const input = parseInput(
    ReleasePage,
    page,
    'release page',
    'pass the release version, date, tag, download base URL and build matrix',
  );
  const frontMatter = new Document({
    title: input.version,
    date: input.date,
    extra: {
      tag: input.tag,
      // The site appends the file name directly, so the base must end in "/".
      artifact_source: input.artifactSource.endsWith('/') ? input.artifactSource : `${input.artifactSource}/`,
      artifact_fname: input.artifactFname,
      artifacts: input.artifacts,
      // Only on prereleases: a stable release's page stays as the site's own pages are.
      ...(input.prerelease ? { prerelease: true } : {}),
    },
  });
  // Strings are double-quoted, as the site's own pages quote "8.0" so that YAML cannot read it as a number; the
  // date stays a plain scalar like theirs.
  const date = frontMatter.get('date', true);
  if (date instanceof Scalar) date.type = Scalar.PLAIN;
  const yaml = frontMatter.toString({
    indent: 4,
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
    lineWidth: 0,
  });
  const body = input.body?.trim() ? `\n${input.body.replace(/\s+$/, '')}\n` : '';
  return `---\n${yaml}---\n${body}`;
}
