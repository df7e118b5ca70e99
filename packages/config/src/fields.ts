/** Shared field types of the release config: secrets named, never written; repository, ref and path names; durations; the pipeline's stages. */
import { z } from 'zod';
import { refNameProblem, type RefKind } from './git-refs.js';
import { type PathPlace, repositoryPathProblem } from './repository-paths.js';
import { type Placeholder, placeholderProblems } from './templates.js';

/** A message for every issue of a schema except a missing field, which is plainly "required". */
export const unlessMissing = (message: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'required' : message;

/*
 * Whatever sits where a secret reference belongs may be the secret itself, pasted in. Every message these schemas
 * give there is fixed text: no value and no key from the input, since errors end up in terminals and CI logs.
 */
export const secretRefError =
  'expected {env: VARIABLE} or {file: PATH} saying where the secret is kept, never the secret itself';

/** A secret is named, never written in the config: it is read on the worker, inside the activity that needs it. */
export const SecretRef = z.union(
  [
    z.strictObject(
      {
        env: z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')
          .meta({
            description: "The worker's environment variable that holds the secret, read when a step needs it.",
          }),
      },
      { error: secretRefError },
    ),
    z.strictObject(
      {
        file: z.string().min(1, 'expected a file path').meta({
          description:
            'The file on the worker that holds the secret, read when a step needs it; surrounding whitespace is dropped.',
        }),
      },
      { error: secretRefError },
    ),
  ],
  { error: unlessMissing(secretRefError) },
);
export type SecretRef = z.infer<typeof SecretRef>;

export const RepoName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected "owner/name", e.g. "valkey-io/valkey-hashes"');

export const ProjectName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected lowercase letters, digits and dashes, starting with a letter or digit');

export const Token = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lowercase letters, digits, ".", "_" or "-"');

/*
 * The parsed config is kept in the release's workflow history, so a credential written into an address (or put
 * there by a ${VAR}) would be kept with it. The message quotes none of the URL.
 */
export const withoutUserinfo = (fix: string) =>
  [
    (url: string) => {
      const { username, password } = new URL(url);
      return username === '' && password === '';
    },
    `must not carry a user name or password ("user:token@"), which the release's history would keep; remove it and ${fix}`,
  ] as const;

export const httpUrl = (credentialFix: string) =>
  z
    .url({ protocol: /^https?$/, error: unlessMissing('expected an http:// or https:// URL'), abort: true })
    .refine(...withoutUserinfo(credentialFix));

export const forgeCredentialFix = 'name the credential in forge.auth';

/** A `problem(text)` function as a zod refinement: one issue with its message, or none. */
export function refusing(problem: (text: string) => string | undefined) {
  return (text: string, ctx: z.RefinementCtx<string>) => {
    const message = problem(text);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };
}

/** A path inside a repository's checkout: relative, without "..", not into .git (see repositoryPathProblem). */
export const RepositoryPath = (place: PathPlace) =>
  z
    .string()
    .min(1, { abort: true })
    .superRefine(refusing((path) => repositoryPathProblem(path, place)));

const refFix: Record<RefKind, string> = {
  branch: 'give a branch name git accepts, e.g. "main"',
  tag: 'write a tag git accepts, e.g. "v{version}"',
  ref: 'name a branch, a tag or a full commit id, e.g. "main"',
};

const refLabel: Record<RefKind, string> = { branch: 'branch', tag: 'tag', ref: 'branch or tag' };

export const refMessage = (kind: RefKind, problem: string) =>
  `is not a valid git ${refLabel[kind]} name: it ${problem}; ${refFix[kind]}`;

/** A branch (or, for `ref`, a branch, tag or commit id) by git's rules for ref names (see refNameProblem). */
export const RefName = (kind: RefKind) =>
  z
    .string()
    .min(1, { abort: true })
    .superRefine(
      refusing((name) => {
        const problem = refNameProblem(name, kind);
        return problem === undefined ? undefined : refMessage(kind, problem);
      }),
    );

/**
 * Durations as Temporal writes them: "90s", "10 minutes", "1h". Only spaces may separate number and unit, as in
 * the `ms` package Temporal parses them with; zero is refused because Temporal reads a zero timeout as no timeout.
 */
export const Duration = z
  .string()
  .regex(/^\d+(\.\d+)? *(ms|s|m|h|d|milliseconds?|seconds?|minutes?|hours?|days?)$/, {
    error: 'expected a duration such as "90s", "10m" or "1 hour"',
    abort: true,
  })
  .refine((text) => Number.parseFloat(text) > 0, 'must be longer than zero');
export type Duration = z.infer<typeof Duration>;

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A Duration's length in milliseconds; the text must have passed Duration. */
export function durationMilliseconds(text: Duration): number {
  const [, amount = '', unit = ''] = /^(\d+(?:\.\d+)?) *([a-z]+)$/.exec(text) ?? [];
  const short = unit.startsWith('milli') ? 'ms' : unit.length > 2 ? (unit[0] ?? '') : unit;
  return Number.parseFloat(amount) * (durationUnits[short] ?? Number.NaN);
}

export const Stage = z.enum(['build', 'checksum', 'publish', 'checksum-repo', 'container-repo', 'website']);
export type Stage = z.infer<typeof Stage>;
export const stages = Stage.options;

export function refuseRepeats(what: string) {
  return (items: readonly string[], ctx: z.RefinementCtx<string[]>) => {
    items.forEach((item, index) => {
      if (items.indexOf(item) < index)
        ctx.addIssue({ code: 'custom', path: [index], message: `${what} ${item} is listed twice` });
    });
  };
}

export function onlyPlaceholders(allowed: readonly Placeholder[]) {
  return (template: string, ctx: z.RefinementCtx<string>) => {
    for (const message of placeholderProblems(template, allowed)) ctx.addIssue({ code: 'custom', message });
  };
}
