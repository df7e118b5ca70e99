/**
 * Release versions: semantic versions with optional prerelease, refused with the reason and the corrected text.
 * The version is written into tags, artifact file names and URLs, so only the plain form is accepted.
 */
import semver from 'semver';
import { z } from 'zod';
import { InputError } from '@relforge/errors';

export const ReleaseVersion = z.object({
  /** As given, e.g. "8.1.0-rc1". */
  text: z.string(),
  major: z.number().int().nonnegative(),
  minor: z.number().int().nonnegative(),
  patch: z.number().int().nonnegative(),
  /** The dot-separated prerelease identifiers: ["beta", "2"] for 8.1.0-beta.2; empty for a release. */
  prerelease: z.array(z.string()),
  /** "8.1": the release line, used in container paths. */
  majorMinor: z.string(),
  isPrerelease: z.boolean(),
  /** "8-1-0-rc1": dots as dashes, for website page names such as v8-1-0-rc1.md. */
  dashed: z.string(),
});
export type ReleaseVersion = z.infer<typeof ReleaseVersion>;

interface VersionProblem {
  reason: string;
  fix: string;
}

const example = 'e.g. 8.1.0 or 8.1.0-rc1';
const unpaddedNumber = /^(0|[1-9]\d*)$/;
const unpaddedPrereleasePart = /^(0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)$/;

/** Why `text` is not a plain semantic version; the checks go from the most telling mistake to the least. */
function problemWith(text: string): VersionProblem | undefined {
  if (text === '') return { reason: 'is empty', fix: `give the version to release, ${example}` };
  if (text.trim() !== text) return { reason: 'has spaces around it', fix: `drop the spaces: ${text.trim()}` };
  if (/^v\d/i.test(text)) return { reason: 'starts with "v"', fix: `drop the leading v: ${text.slice(1)}` };
  const plus = text.indexOf('+');
  if (plus !== -1) {
    const withoutBuild = text.slice(0, plus);
    return {
      reason: `carries build metadata (${text.slice(plus)}), which artifact file names and release tags would carry too`,
      fix:
        problemWith(withoutBuild) === undefined
          ? `drop the build metadata: ${withoutBuild}`
          : `give major.minor.patch, ${example}`,
    };
  }
  const dash = text.indexOf('-');
  const core = dash === -1 ? text : text.slice(0, dash);
  const parts = core.split('.');
  if (!parts.every((part) => /^\d+$/.test(part))) {
    return { reason: 'is not a version', fix: `give major.minor.patch, ${example}` };
  }
  if (parts.length !== 3) {
    const completed = [...parts, '0', '0'].slice(0, 3).join('.');
    return {
      reason: 'needs three numbers, major.minor.patch',
      fix: parts.length < 3 ? `write all three: ${completed}` : `keep three numbers, ${example}`,
    };
  }
  const padded = parts.find((part) => !unpaddedNumber.test(part));
  if (padded !== undefined) {
    return { reason: `has a number with a leading zero (${padded})`, fix: `write ${parts.map(Number).join('.')}` };
  }
  const huge = parts.find((part) => !Number.isSafeInteger(Number(part)));
  if (huge !== undefined)
    return { reason: `has a number too large to compare (${huge})`, fix: `give major.minor.patch, ${example}` };
  if (dash === -1) return undefined;
  const prerelease = text.slice(dash + 1);
  if (prerelease === '')
    return { reason: 'ends with "-"', fix: `drop the dash (${core}) or name the prerelease, ${core}-rc1` };
  const identifiers = prerelease.split('.');
  if (identifiers.includes('')) {
    return {
      reason: 'has an empty part in its prerelease',
      fix: `write the prerelease without empty parts, e.g. ${core}-beta.2`,
    };
  }
  if (identifiers.some((identifier) => !/^[0-9A-Za-z-]+$/.test(identifier))) {
    return {
      reason: 'has a prerelease with characters other than letters, digits, "-" and "."',
      fix: `write the prerelease with letters, digits and dots, e.g. ${core}-rc1 or ${core}-beta.2`,
    };
  }
  const paddedIdentifier = identifiers.find((identifier) => !unpaddedPrereleasePart.test(identifier));
  if (paddedIdentifier !== undefined) {
    return {
      reason: `has a prerelease number with a leading zero (${paddedIdentifier})`,
      fix: `drop the zero: ${core}-${identifiers.map((identifier) => (/^\d+$/.test(identifier) ? String(Number(identifier)) : identifier)).join('.')}`,
    };
  }
  return undefined;
}

/** A version as text, parsed into a ReleaseVersion; embed it in zod schemas of CLI or workflow input. */
export const ReleaseVersionText = z.string().transform((text, ctx): ReleaseVersion => {
  const problem = problemWith(text);
  // semver.parse also accepts a leading "v" and spaces, which problemWith has refused already.
  const parsed = problem === undefined ? semver.parse(text) : null;
  if (parsed === null) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid version ${JSON.stringify(text)}: ${problem?.reason ?? 'is not a semantic version'}`,
      params: { fix: problem?.fix ?? `give major.minor.patch, ${example}` },
    });
    return z.NEVER;
  }
  return {
    text,
    major: parsed.major,
    minor: parsed.minor,
    patch: parsed.patch,
    prerelease: parsed.prerelease.map(String),
    majorMinor: `${parsed.major}.${parsed.minor}`,
    isPrerelease: parsed.prerelease.length > 0,
    dashed: text.replaceAll('.', '-'),
  };
});

export function parseVersion(text: string): ReleaseVersion {
  const result = ReleaseVersionText.safeParse(text);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const fix: unknown = issue?.code === 'custom' ? issue.params?.fix : undefined;
  throw new InputError(issue?.message ?? `invalid version ${JSON.stringify(text)}`, {
    fix: typeof fix === 'string' ? fix : `give major.minor.patch, ${example}`,
  });
}

/** Negative when `a` comes before `b` in semver order (8.1.0-rc1 < 8.1.0 < 8.1.1), zero when equal. */
export function compareVersions(a: ReleaseVersion, b: ReleaseVersion): number {
  return semver.compare(a.text, b.text);
}
