/**
 * The shape of a project's release config (`relforge.yaml` / `relforge.json`).
 * Every type Relforge uses for config is inferred from these schemas; the
 * committed JSON Schema is generated from them too, with each field's
 * description, so editors explain a field as it is typed.
 */
import semver from 'semver';
import { z } from 'zod';
import { ReleaseKeyError, ReleasePublicKey } from '@relforge/signing';
import { releaseEventTypes } from '@relforge/release-events';
import { AccessConfig } from './access.js';
import { refNameProblem, type RefKind } from './git-refs.js';
import { type PathPlace, repositoryPathProblem, s3PrefixProblem } from './repository-paths.js';
import { type Placeholder, placeholderProblems, renderTemplate, type TemplateValues } from './templates.js';
import { parseVersion } from './version.js';

/** A message for every issue of a schema except a missing field, which is plainly "required". */
const unlessMissing = (message: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'required' : message;

/*
 * Whatever sits where a secret reference belongs may be the secret itself, pasted in. Every message these schemas
 * give there is fixed text: no value and no key from the input, since errors end up in terminals and CI logs.
 */
const secretRefError =
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

const Token = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected lowercase letters, digits, ".", "_" or "-"');

/*
 * The parsed config is kept in the release's workflow history, so a credential written into an address (or put
 * there by a ${VAR}) would be kept with it. The message quotes none of the URL.
 */
const withoutUserinfo = (fix: string) =>
  [
    (url: string) => {
      const { username, password } = new URL(url);
      return username === '' && password === '';
    },
    `must not carry a user name or password ("user:token@"), which the release's history would keep; remove it and ${fix}`,
  ] as const;

const httpUrl = (credentialFix: string) =>
  z
    .url({ protocol: /^https?$/, error: unlessMissing('expected an http:// or https:// URL'), abort: true })
    .refine(...withoutUserinfo(credentialFix));

const forgeCredentialFix = 'name the credential in forge.auth';

/** A `problem(text)` function as a zod refinement: one issue with its message, or none. */
function refusing(problem: (text: string) => string | undefined) {
  return (text: string, ctx: z.RefinementCtx<string>) => {
    const message = problem(text);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };
}

/** A path inside a repository's checkout: relative, without "..", not into .git (see repositoryPathProblem). */
const RepositoryPath = (place: PathPlace) =>
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

const refMessage = (kind: RefKind, problem: string) =>
  `is not a valid git ${refLabel[kind]} name: it ${problem}; ${refFix[kind]}`;

/** A branch (or, for `ref`, a branch, tag or commit id) by git's rules for ref names (see refNameProblem). */
const RefName = (kind: RefKind) =>
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

function refuseRepeats(what: string) {
  return (items: readonly string[], ctx: z.RefinementCtx<string[]>) => {
    items.forEach((item, index) => {
      if (items.indexOf(item) < index)
        ctx.addIssue({ code: 'custom', path: [index], message: `${what} ${item} is listed twice` });
    });
  };
}

function onlyPlaceholders(allowed: readonly Placeholder[]) {
  return (template: string, ctx: z.RefinementCtx<string>) => {
    for (const message of placeholderProblems(template, allowed)) ctx.addIssue({ code: 'custom', message });
  };
}

export const MatrixEntry = z.strictObject({
  distro: Token.meta({
    description:
      'The distribution (or platform) the build is for: in artifact names, as {distro} in Dockerfile paths and as RELFORGE_DISTRO, e.g. "bookworm".',
  }),
  arch: z.array(Token).min(1, 'list at least one architecture').superRefine(refuseRepeats('architecture')).meta({
    description:
      'The architectures built for this distro, one build and one artifact each (RELFORGE_ARCH), e.g. ["x86_64", "arm64"].',
  }),
});

export const BuildConfig = z.strictObject({
  command: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
      error: unlessMissing('expected a command line, or a list of the program and its arguments'),
    })
    .meta({
      description:
        'The build of one target, run in a clean checkout of the source at the release commit with RELFORGE_PROJECT, RELFORGE_VERSION, RELFORGE_DISTRO, RELFORGE_ARCH, RELFORGE_OUT and SOURCE_DATE_EPOCH set; it writes its tarball to $RELFORGE_ARTIFACT. A command line for sh, e.g. "make dist", or a list of the program and its arguments, run without a shell.',
    }),
  timeout: Duration.default('30m').meta({
    description:
      'How long one target\'s build may run before it is stopped and tried again, e.g. "90s", "10m" or "1 hour".',
  }),
  matrix: z
    .array(MatrixEntry)
    .min(1, 'list at least one target')
    .superRefine((matrix, ctx) => {
      matrix.forEach(({ distro }, index) => {
        if (matrix.findIndex((entry) => entry.distro === distro) < index) {
          ctx.addIssue({
            code: 'custom',
            path: [index, 'distro'],
            message: `distro ${distro} is listed twice; list all its architectures in one entry`,
          });
        }
      });
    })
    .meta({
      description:
        'The targets to build: each distro with its architectures. Every distro/arch pair is one build and one artifact, "<project>-<version>-<distro>-<arch>.tar.gz".',
    }),
  sourceTarball: z.boolean().default(true).meta({
    description:
      'Whether the release also publishes "<project>-<version>.tar.gz", made by git archive from the release commit.',
  }),
});

const NumericId = z.union([z.number().int().positive(), z.string().regex(/^\d+$/)], {
  error: unlessMissing('expected a positive whole number'),
});

export const ForgeAuth = z.union(
  [
    z.strictObject({
      token: SecretRef.meta({
        description:
          'Where the token is kept, e.g. {env: RELFORGE_GITHUB_TOKEN}. It needs write access to contents and pull requests of every repository this file names.',
      }),
    }),
    z.strictObject({
      app: z
        .strictObject({
          appId: NumericId.meta({ description: "The GitHub App's id, from its settings page, e.g. 123456." }),
          installationId: NumericId.meta({
            description: "The id of the app's installation on the account that owns the repositories.",
          }),
          privateKey: SecretRef.meta({
            description: "Where the app's private key (PEM) is kept, e.g. {file: /etc/relforge/github-app.pem}.",
          }),
        })
        .meta({
          description:
            'A GitHub App installation: Relforge signs a token request with the private key and works with the installation token it gets back.',
        }),
    }),
  ],
  { error: unlessMissing('expected {token: {env: VARIABLE}} or {app: {appId, installationId, privateKey}}') },
);

export const ForgeConfig = z.strictObject({
  apiUrl: httpUrl(forgeCredentialFix).default('https://api.github.com').meta({
    description:
      "The REST API root: GitHub's, a GitHub Enterprise server's \"https://<host>/api/v3\", or, in tests, Relforge's GitHub stand-in. May use ${VAR} or ${VAR:-default}; never a user name or password, even from a variable.",
  }),
  gitUrl: z
    .url({ protocol: /^(https?|file)$/, error: 'expected an http://, https:// or file:// URL', abort: true })
    .refine(...withoutUserinfo(forgeCredentialFix))
    .optional()
    .meta({
      description:
        'Where git clones from and pushes to, as "<gitUrl>/<owner>/<name>.git"; when omitted, "https://github.com" for GitHub and the API\'s host without "/api/v3" otherwise. May use ${VAR} or ${VAR:-default}; never a user name or password, even from a variable.',
    }),
  auth: ForgeAuth.meta({
    description:
      "The credential every forge request and git push uses: a token, or a GitHub App installation. Releases under different credentials do not wait on each other's rate limits.",
  }),
});

export const S3Config = z
  .strictObject({
    bucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (lowercase, 3-63 characters)')
      .meta({ description: 'The bucket the release\'s files are uploaded to, e.g. "valkey-releases".' }),
    prefix: z
      .string()
      .regex(/^([^/].*\/)?$/, { error: 'expected "" or a prefix ending in "/", e.g. "releases/"', abort: true })
      .superRefine(refusing(s3PrefixProblem))
      .default('releases/')
      .meta({
        description:
          'Put before each file\'s name to make its object key: "" or a prefix ending in "/", without "." or ".." parts or "//".',
      }),
    stagingPrefix: z
      .string()
      .regex(/^[^/].*\/$/, { error: 'expected a prefix ending in "/", e.g. "relforge-staging/"', abort: true })
      .superRefine(refusing(s3PrefixProblem))
      .default('relforge-staging/')
      .meta({
        description:
          'Where files wait between the machines that make them and the ones that publish them, as "<stagingPrefix><project>/<version>/<commit>/<file>": a builder stores its tarball there and the checksum stage its files. Must lie outside prefix, which people download from; an S3 lifecycle rule may expire it after the release.',
      }),
    region: z.string().min(1).default('us-east-1').meta({ description: "The bucket's region." }),
    endpoint: httpUrl('name the keys in publish.s3.credentials').optional().meta({
      description:
        'The address of an S3-compatible server (MinIO, versitygw, Cloudflare R2); omit for AWS. May use ${VAR} or ${VAR:-default}; never a user name or password, even from a variable.',
    }),
    forcePathStyle: z.boolean().default(false).meta({
      description:
        'Address the bucket as "<endpoint>/<bucket>" instead of "<bucket>.<endpoint>"; most S3-compatible servers need true.',
    }),
    // A trailing "/" would put "//" into every URL made from it.
    publicBaseUrl: httpUrl('let the files be downloaded without one')
      .refine((url) => !url.endsWith('/'), 'drop the trailing "/"')
      .meta({
        description:
          'Where people download the files from, without a trailing "/": "<publicBaseUrl>/<file>" goes into the hash lines, the Dockerfiles and the website page, e.g. "https://download.valkey.io/releases". May use ${VAR} or ${VAR:-default}; never a user name or password, even from a variable.',
      }),
    publicRead: z.boolean().default(true).meta({
      description:
        'Let anyone download the files: before uploading, Relforge adds to the bucket policy, unless it is there, one statement allowing s3:GetObject on "<bucket>/<prefix>*" to everyone, and keeps every other statement; stagingPrefix stays private. Set false when something else makes publicBaseUrl public (a CDN with its own access to a private bucket, a server without bucket policies). Either way one file is then downloaded from publicBaseUrl without credentials, and the release stops there if that fails.',
    }),
    credentials: z
      .strictObject({
        accessKeyId: SecretRef.meta({
          description: 'Where the access key id is kept, e.g. {env: AWS_ACCESS_KEY_ID}.',
        }),
        secretAccessKey: SecretRef.meta({
          description: 'Where the secret access key is kept, e.g. {env: AWS_SECRET_ACCESS_KEY}.',
        }),
      })
      .optional()
      .meta({
        description:
          "The bucket's keys; when omitted, the AWS SDK finds its own on the worker (environment, profile, instance role).",
      }),
  })
  .superRefine((s3, ctx) => {
    // In a policy's Resource these are patterns and variables: the grant would reach past the prefix.
    if (s3.publicRead && /[*?$]/.test(s3.prefix)) {
      ctx.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: 'expected no "*", "?" or "$" while publicRead is true: the bucket policy would read them as patterns',
      });
    }
    if (s3.stagingPrefix.startsWith(s3.prefix)) {
      ctx.addIssue({
        code: 'custom',
        path: ['stagingPrefix'],
        message:
          s3.prefix === ''
            ? 'lies inside prefix "", the public part of the bucket; set prefix (e.g. "releases/") so staged files stay private'
            : `lies inside prefix "${s3.prefix}", the public part of the bucket; choose a prefix outside it, e.g. "relforge-staging/"`,
      });
    }
  });

const releasePlaceholders: Placeholder[] = ['version', 'project', 'majorMinor'];

export const ReleaseConfig = z.strictObject({
  repository: RepoName.meta({
    description: 'The repository the release is made in, as "owner/name"; usually the source repository.',
  }),
  tag: z
    .string()
    .regex(/\{version\}/, 'must contain {version}, e.g. "v{version}"')
    .superRefine(onlyPlaceholders(releasePlaceholders))
    .default('{version}')
    .meta({
      description:
        'The tag the release creates on the release commit, when it is published. Must contain {version}; may use {project} and {majorMinor}; once they are replaced, a name git accepts. "v{version}" tags 8.1.0 as "v8.1.0".',
    }),
  name: z
    .string()
    .min(1)
    .superRefine(onlyPlaceholders(releasePlaceholders))
    .default('{project} {version}')
    .meta({ description: "The release's title; may use {version}, {project} and {majorMinor}." }),
});

export const ChecksumRepoConfig = z.strictObject({
  repository: RepoName.meta({
    description: 'The repository of published digests, as "owner/name", e.g. "valkey-io/valkey-hashes".',
  }),
  branch: RefName('branch')
    .default('main')
    .meta({ description: 'The branch the hash lines are committed to, directly (no pull request).' }),
  file: RepositoryPath({ repository: 'the checksum repository', example: 'README' }).default('README').meta({
    description:
      'The file that gets a "hash <file> sha256 <hex> <url>" line for each published file; a path from the top of the repository, without "..".',
  }),
});

const outputExample = '{majorMinor}/{distro}/Dockerfile';
const containerRepoPlace: PathPlace = { repository: 'the container repository', example: outputExample };

const outputPlaceholders = (distro: string | undefined): Placeholder[] =>
  distro === undefined ? releasePlaceholders : [...releasePlaceholders, 'distro'];

export const ContainerTemplate = z
  .strictObject({
    template: RepositoryPath({ repository: 'the container repository', example: 'Dockerfile.template' }).meta({
      description:
        'The path of the template in the container repository, from its top and without "..", e.g. "Dockerfile.template".',
    }),
    output: RepositoryPath(containerRepoPlace).meta({
      description:
        'Where the Dockerfile is written in the container repository, from its top and without ".."; {majorMinor}, {version}, {project} and, with distro, {distro} are replaced, e.g. "{majorMinor}/{distro}/Dockerfile".',
    }),
    distro: Token.optional().meta({
      description:
        'With arch, the build target whose artifact this Dockerfile downloads; the source tarball when both are omitted.',
    }),
    arch: Token.optional().meta({ description: 'With distro, the architecture of the build target to download.' }),
  })
  .superRefine((template, ctx) => {
    if (template.distro === undefined && template.arch !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['distro'],
        message: 'required with arch: both name the build target to download',
      });
    }
    if (template.distro !== undefined && template.arch === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['arch'],
        message: 'required with distro: both name the build target to download',
      });
    }
    for (const message of placeholderProblems(template.output, outputPlaceholders(template.distro))) {
      ctx.addIssue({ code: 'custom', path: ['output'], message });
    }
  });

const PullRequestBase = RefName('branch')
  .default('main')
  .meta({ description: 'The branch the pull request is opened against.' });

export const ContainerRepoConfig = z.strictObject({
  repository: RepoName.meta({
    description: 'The repository of Dockerfiles, as "owner/name", e.g. "valkey-io/valkey-container".',
  }),
  base: PullRequestBase,
  versionsFile: RepositoryPath({ repository: 'the container repository', example: 'versions.json' })
    .default('versions.json')
    .meta({
      description:
        'The JSON file with one entry per "<major>.<minor>" line naming the release its images build, the download URL and its sha256; keys Relforge does not own are kept. A path from the top of the repository, without "..".',
    }),
  envPrefix: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, 'expected an upper-case identifier, e.g. "VALKEY"')
    .meta({
      description:
        'Names the ENV lines set in the Dockerfiles: <envPrefix>_VERSION, <envPrefix>_DOWNLOAD_URL and <envPrefix>_DOWNLOAD_SHA, e.g. "VALKEY".',
    }),
  templates: z
    .array(ContainerTemplate)
    .min(1, 'list at least one Dockerfile template')
    .meta({ description: 'The Dockerfiles to write, each from a template in the container repository.' }),
  prerelease: z
    .union(
      [
        z.literal('skip'),
        z.strictObject({
          line: z
            .string()
            .regex(/^[A-Za-z0-9{}][A-Za-z0-9._{}-]*$/, {
              error: 'expected one folder name, e.g. "{majorMinor}-rc" or "unstable"',
              abort: true,
            })
            .superRefine(onlyPlaceholders(['majorMinor', 'project']))
            .meta({
              description:
                'The versions file\'s entry and the {majorMinor} of the Dockerfile paths for a prerelease, e.g. "{majorMinor}-rc" or "unstable"; may use {majorMinor} and {project}.',
            }),
        }),
      ],
      { error: 'expected "skip" or {line: "{majorMinor}-rc"}' },
    )
    .optional()
    .meta({
      description:
        'Where a prerelease (8.1.0-rc.1) goes: "skip" leaves the container repository alone, {line} puts it in an entry and folders of its own so the stable "<major>.<minor>" entry never moves. When omitted, a prerelease goes where its release will, and never replaces a higher version there.',
    }),
});

export const WebsiteRepoConfig = z.strictObject({
  repository: RepoName.meta({
    description: 'The website\'s repository, as "owner/name", e.g. "valkey-io/valkey-io.github.io".',
  }),
  base: PullRequestBase,
  path: RepositoryPath({ repository: 'the website repository', example: 'content/download/releases', folder: true })
    .default('content/download/releases')
    .meta({
      description:
        'The folder of release pages, from the top of the repository and without ".."; the new page is "v<version with dots as dashes>.md", e.g. "v8-1-0.md" for 8.1.0.',
    }),
  prerelease: z.enum(['mark', 'skip']).optional().meta({
    description:
      'A prerelease\'s page: "mark" (the default) writes it with "prerelease: true" in its front matter\'s extra, "skip" opens no pull request for it.',
  }),
});

/** A prerelease channel: the first identifier of the prerelease, "beta" in 8.1.0-beta.2. */
const Channel = z
  .string()
  .regex(/^[a-z][a-z0-9-]*$/, 'expected lowercase letters, digits and "-", starting with a letter, e.g. "beta"')
  .refine((channel) => channel !== 'final', 'final is the release itself and comes last by itself; remove it');

export const TrainConfig = z
  .strictObject({
    channels: z
      .array(Channel)
      .min(1, 'list at least one channel, e.g. [beta, rc]')
      .superRefine(refuseRepeats('channel'))
      .superRefine((channels, ctx) => {
        // Versions of a later channel must sort higher, or a promotion would publish a version below the last one.
        channels.forEach((channel, index) => {
          const before = channels[index - 1];
          if (before === undefined || channel === before) return;
          if (semver.compare(`1.0.0-${before}.1`, `1.0.0-${channel}.1`) >= 0)
            ctx.addIssue({
              code: 'custom',
              path: [index],
              message: `${channel} sorts before ${before} in semver order, so ${channel} prereleases would be lower versions; list the channels in the order semver sorts them (e.g. alpha, beta, rc)`,
            });
        });
      })
      .default(['alpha', 'beta', 'rc'])
      .meta({
        description:
          'The prerelease channels in order, e.g. [alpha, beta, rc]; the final release comes after the last. A train only moves forward through them.',
      }),
    requireRc: z.boolean().default(false).meta({
      description: 'Refuse the final release until an rc prerelease of the train was released.',
    }),
    soak: Duration.optional().meta({
      description:
        'The time the last prerelease must have been out before the final release, e.g. "3 days"; none when omitted.',
    }),
    stepsPerRun: z.number().int().positive().default(50).meta({
      description:
        'Prereleases one run of the train workflow handles before it continues as new with its state, keeping its history small over months.',
    }),
  })
  .superRefine((train, ctx) => {
    if (train.requireRc && !train.channels.includes('rc'))
      ctx.addIssue({
        code: 'custom',
        path: ['requireRc'],
        message: `requires an rc channel, and channels are ${train.channels.join(', ')}; add rc to channels or set requireRc: false`,
      });
  });
export type TrainConfig = z.infer<typeof TrainConfig>;

/** A key that signed earlier releases, as its `.pub` line; read by the signing package, so both refuse the same. */
const FollowedKey = z.string().superRefine((line, ctx) => {
  try {
    ReleasePublicKey.parse(line, 'this');
  } catch (error) {
    if (!(error instanceof ReleaseKeyError)) throw error;
    const problem = error.message.replace(/^this /, '');
    ctx.addIssue({
      code: 'custom',
      message: `${problem}; list the whole .pub line ("ssh-ed25519 AAAA…") of the key that signed earlier releases`,
    });
  }
});

export const SigningConfig = z.strictObject({
  key: SecretRef.meta({
    description:
      "Where the project's release key is kept on the worker: an unencrypted OpenSSH ed25519 private key, as `ssh-keygen -t ed25519 -N '' -C relforge-release -f release-key` writes it, e.g. {file: /etc/relforge/release-key} or {env: RELFORGE_RELEASE_KEY}. It signs the SHA256SUMS and SHA512SUMS files (SSHSIG, namespace relforge-release, `<file>.sig`), the SLSA provenance and the publish attestation (DSSE envelopes, `.intoto.jsonl`).",
  }),
  follows: z.array(FollowedKey).default([]).meta({
    description:
      'Public keys ("ssh-ed25519 AAAA…", the line of their .pub file) that this release key follows. A release whose key is not the one the checksum repository\'s allowed_signers names is refused, unless that one is listed here: then allowed_signers is changed to the new key.',
  }),
});

/*
 * Webhook receivers. A receiver's secret signs its deliveries and is named like every other secret; its URL is kept
 * in the release's history with the config, so it must not carry credentials either.
 */
const knownEventTypes = releaseEventTypes();

/**
 * `dev.relforge.stage.*.v1`: an event type, where `*` stands for any one dot-separated part, and a `*` as the last
 * part for the rest, one part or more (`dev.relforge.train.*`: every state of the train, whatever its version).
 */
export function eventTypeMatches(pattern: string, type: string): boolean {
  const wanted = pattern.split('.');
  const parts = type.split('.');
  const rest = wanted.at(-1) === '*' && parts.length >= wanted.length;
  const compared = rest ? wanted.slice(0, -1) : wanted;
  return (
    (rest || wanted.length === parts.length) && compared.every((part, index) => part === '*' || part === parts[index])
  );
}

const EventTypePattern = z
  .string()
  .min(1, { abort: true })
  .refine((pattern) => knownEventTypes.some((type) => eventTypeMatches(pattern, type)), {
    message: `matches no event type a release or a train produces; write one such as "dev.relforge.release.failed.v1", or use * for one part, e.g. "dev.relforge.stage.*.v1", and a last * for the rest, e.g. "dev.relforge.train.*"`,
  });

/** The production schedule of retries after a failed first attempt: Standard Webhooks' (Svix's), about 27 hours. */
export const defaultRetrySchedule = ['5s', '5m', '30m', '2h', '5h', '10h', '10h'] as const satisfies Duration[];

export const WebhookReceiver = z.strictObject({
  name: ProjectName.meta({
    description:
      "The receiver's name, unique in the project: it names its durable JetStream consumer, so renaming one starts it again from the first event. Lowercase letters, digits and dashes.",
  }),
  url: httpUrl('name the signing secret in secret').meta({
    description:
      'Where each event is POSTed, http:// or https://. Redirects are not followed: a 3xx answer counts as a failure. Never a user name or password.',
  }),
  // SecretRef's own options, with a missing secret told what it is for.
  secret: z
    .union(SecretRef.options, {
      error: (issue) =>
        issue.input === undefined
          ? 'required: name where the signing secret is kept, e.g. {env: HELLO_WEBHOOK_SECRET}; every delivery is signed with it'
          : secretRefError,
    })
    .meta({
      description:
        'Where the signing secret is kept on the notifier, e.g. {env: HELLO_WEBHOOK_SECRET}: a Standard Webhooks key, "whsec_" and the base64 of 24 to 64 random bytes (`echo whsec_$(openssl rand -base64 32)`), which the receiver is given too. Every delivery is signed with it (webhook-signature).',
    }),
  events: z
    .array(EventTypePattern)
    .min(1, 'list at least one event type, or omit events to receive all of them')
    .superRefine(refuseRepeats('event type'))
    .default(['dev.relforge.*.*.v1'])
    .meta({
      description:
        'The event types sent to this receiver; "*" stands for one part, e.g. "dev.relforge.stage.*.v1" or "dev.relforge.release.failed.v1", and a last "*" for the rest, e.g. "dev.relforge.train.*" (a prerelease train\'s states; "dev.relforge.train-step.*" its steps). All of them when omitted. The others are skipped, never sent.',
    }),
  mode: z.enum(['patch', 'full']).default('patch').meta({
    description:
      '"patch": each event as logged, its data an RFC 6902 patch of the release status. "full": the same event with data.status, the whole status after it, for receivers that cannot apply patches.',
  }),
  timeoutSeconds: z.number().int().min(1).max(120).default(15).meta({
    description:
      'How long one delivery may take, answer included; a receiver slower than this has failed the attempt, which is retried.',
  }),
  schedule: z
    .array(Duration)
    .min(1, 'list at least one retry delay, e.g. ["5s", "5m"]')
    .default([...defaultRetrySchedule])
    .meta({
      description: `The waits before each retry of a failed delivery (each jittered by up to a tenth); after the last retry fails the receiver is disabled. Default ${defaultRetrySchedule.join(', ')}: a receiver down for about 27 hours is disabled.`,
    }),
});
export type WebhookReceiver = z.infer<typeof WebhookReceiver>;

const WebhooksConfig = z.array(WebhookReceiver).superRefine((receivers, ctx) => {
  receivers.forEach(({ name }, index) => {
    if (receivers.findIndex((other) => other.name === name) < index) {
      ctx.addIssue({
        code: 'custom',
        path: [index, 'name'],
        message: `receiver ${name} is listed twice; give each receiver a name of its own`,
      });
    }
  });
});

/** A GitHub login: letters, digits and single hyphens, at most 39 characters, as GitHub allows them. */
const Login = z.string().regex(/^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$/, 'expected a GitHub login such as "octocat"');
/** A GitHub team as "<org>/<team slug>", the slug as GitHub shows it in the team's URL. */
const TeamName = z
  .string()
  .regex(
    /^[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}\/[a-z0-9][a-z0-9_-]*$/,
    'expected "<org>/<team slug>", e.g. "valkey-io/release-managers"',
  );

/** The stages an approval can come before: after checksum, so there is a digest set to approve. */
const approvableStages = stages.slice(stages.indexOf('publish'));

export const ApprovalConfig = z.strictObject({
  before: Stage.default('publish').meta({
    description: `The stage the release waits before until it is approved (${approvableStages.join(', ')}); the approval names the sha256 of the release's SHA256SUMS file, so it must come after checksum.`,
  }),
  required: z.int().min(1, 'must be at least 1').default(1).meta({
    description: 'How many distinct approvers must approve the same digest set.',
  }),
  approvers: z
    .strictObject({
      users: z.array(Login).default([]).superRefine(refuseRepeats('user')).meta({
        description: 'GitHub logins that may approve.',
      }),
      teams: z.array(TeamName).default([]).superRefine(refuseRepeats('team')).meta({
        description:
          'GitHub teams whose members may approve, as "<org>/<team slug>"; the gateway asks the forge for the approver\'s membership (GET /orgs/{org}/teams/{team_slug}/memberships/{username}, state active).',
      }),
    })
    .meta({ description: 'Who may approve: listed users, and members of listed teams.' }),
  prereleases: z.boolean().default(true).meta({
    description:
      "Whether prereleases (a version with a prerelease part, e.g. 2.0.0-rc.1) wait for approval too; false lets a train's betas and rcs go out without one while its final still waits.",
  }),
  allowSelfApproval: z.boolean().default(false).meta({
    description: 'Whether the person who started the release (startedBy) may approve it; refused by default.',
  }),
  timeout: Duration.optional().meta({
    description: 'How long the release waits for its approvals; without it, until they come or it is aborted.',
  }),
  onTimeout: z.enum(['wait', 'fail']).default('wait').meta({
    description:
      'What a timeout does: "wait" parks the release as waiting for an operator with the error "approval timed out" (`relforge resume` asks for approvals again, keeping those already given for the same digest set); "fail" fails the release (nothing is published).',
  }),
  remind: Duration.optional().meta({
    description:
      'Emit an approval.reminded event this often while the release waits for approvals (e.g. "4h"), for whoever subscribes to notify the approvers.',
  }),
});

const ProjectConfigFields = z.strictObject({
  $schema: z.string().optional().meta({
    description:
      'The path or URL of relforge.schema.json, for editors of a JSON file; YAML files name it in a first line "# yaml-language-server: $schema=<path>". Relforge ignores it.',
  }),
  project: ProjectName.meta({
    description:
      'The project\'s name: in the workflow id "release/<project>/<version>", in file names and as {project}, e.g. "valkey". The worker knows the project by it.',
  }),
  source: z
    .strictObject({
      repository: RepoName.meta({
        description: 'The repository the release is built from, as "owner/name", e.g. "valkey-io/valkey".',
      }),
      ref: RefName('ref').default('main').meta({
        description:
          'The branch, tag or full commit id to release; resolved to one commit when the release starts, and every target is built from that commit.',
      }),
    })
    .meta({ description: 'Where the code being released lives.' }),
  stages: z
    .array(Stage)
    .min(1, 'list at least one stage, or omit stages to run all of them')
    .optional()
    .meta({
      description: `The stages to run, in the pipeline's order (${stages.join(', ')}); all of them when omitted. Each repository stage needs its section: checksumRepo, containerRepo, websiteRepo.`,
    }),
  build: BuildConfig.meta({ description: "How the release's artifacts are built: one command, run per target." }),
  forge: ForgeConfig.meta({
    description: 'The GitHub (or GitHub Enterprise server) that hosts the repositories and the release.',
  }),
  publish: z
    .strictObject({
      s3: S3Config.meta({
        description:
          'The S3 (or S3-compatible) bucket the files are uploaded to, create-only: an object already there is kept if its digest matches and refused if not, never overwritten.',
      }),
      release: ReleaseConfig.meta({
        description:
          'The forge release: a draft gets every file as an asset, each read back and checked, and is then published.',
      }),
    })
    .meta({ description: 'Where the built files and their checksums go: an S3 bucket, then a release on the forge.' }),
  checksumRepo: ChecksumRepoConfig.optional().meta({
    description: 'A repository listing the digest of every published file; the checksum-repo stage commits to it.',
  }),
  containerRepo: ContainerRepoConfig.optional().meta({
    description:
      'A repository of Dockerfiles; the container-repo stage opens a pull request from branch "update-<version>" with the new versions file and Dockerfiles.',
  }),
  signing: SigningConfig.optional().meta({
    description:
      "Sign the release with the project's key, verifiable offline by ssh-keygen and cosign: the checksum files, the SLSA provenance of the build and the record of where every file was published. The public key goes to the checksum repository (allowed_signers, release-key.pem) and the release notes. Without it nothing is signed.",
  }),
  notify: z
    .strictObject({
      webhooks: WebhooksConfig.meta({
        description:
          'The HTTP endpoints sent each event of every release of this project, signed as Standard Webhooks specify, retried on a schedule until they answer 2xx.',
      }),
    })
    .optional()
    .meta({
      description:
        "Who hears about the project's releases: webhook receivers, each sent the release's events as they happen by `relforge notifier`.",
    }),
  train: TrainConfig.optional().meta({
    description:
      'Prerelease trains (`relforge train`): the channels a version goes through before its final release, and what the final waits for.',
  }),
  websiteRepo: WebsiteRepoConfig.optional().meta({
    description:
      'The project\'s website repository; the website stage opens a pull request from branch "update-website-<version>" adding the release\'s page.',
  }),
  approval: ApprovalConfig.optional().meta({
    description:
      "Hold the release before a stage (publish by default) until enough approvers approve its digest set, the sha256 of its SHA256SUMS file; through the gateway's approve endpoint or `relforge approve`.",
  }),
  access: AccessConfig.optional().meta({
    description:
      'Who may dispatch each operation (release, re-release, resume, abort, approve, train-start, train-next, train-promote) through the gateway, and its inputs: by login, team or least role on the source repository. Without it writers may release, resume, abort, approve, start a train and take its next step; train-promote takes a maintainer and re-release an admin.',
  }),
});
type ProjectConfigFields = z.infer<typeof ProjectConfigFields>;

/** The stages a release of this config runs, in pipeline order. */
export function stagesToRun(config: ProjectConfigFields): readonly Stage[] {
  return config.stages ?? stages;
}

/** The section naming the repository each stage writes to; null for stages that need none of their own. */
const stageSections: Record<Stage, 'checksumRepo' | 'containerRepo' | 'websiteRepo' | null> = {
  build: null,
  checksum: null,
  publish: null,
  'checksum-repo': 'checksumRepo',
  'container-repo': 'containerRepo',
  website: 'websiteRepo',
};

function checkStages(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  let latest: Stage | undefined;
  config.stages?.forEach((stage, index, listed) => {
    const path = ['stages', index];
    if (listed.indexOf(stage) < index) {
      ctx.addIssue({ code: 'custom', path, message: `${stage} is listed twice` });
    } else if (latest !== undefined && stages.indexOf(stage) < stages.indexOf(latest)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `${stage} must come before ${latest}: stages run in the order ${stages.join(', ')}`,
      });
    } else {
      latest = stage;
    }
  });
  for (const stage of stagesToRun(config)) {
    const section = stageSections[stage];
    if (section === null || config[section] !== undefined) continue;
    const message =
      config.stages === undefined
        ? 'required, because every stage runs when stages is omitted; add the section, or list the stages to run'
        : `required, because stages lists ${stage}; add the section, or remove ${stage} from stages`;
    ctx.addIssue({ code: 'custom', path: [section], message });
  }
}

function checkApproval(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  const { approval } = config;
  if (approval === undefined) return;
  const toRun = stagesToRun(config);
  if (!approvableStages.includes(approval.before)) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'before'],
      message: `${approval.before} comes before the checksum stage, so there is no digest set to approve yet; use one of ${approvableStages.join(', ')}`,
    });
  } else if (!toRun.includes(approval.before)) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'before'],
      message: `${approval.before} is not among the stages this config runs (${toRun.join(', ')}); name one of them, or add ${approval.before} to stages`,
    });
  }
  const { users, teams } = approval.approvers;
  if (users.length === 0 && teams.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'approvers'],
      message: 'names nobody; list users (GitHub logins) or teams ("<org>/<team slug>") who may approve',
    });
  } else if (teams.length === 0 && approval.required > users.length) {
    ctx.addIssue({
      code: 'custom',
      path: ['approval', 'required'],
      message: `${approval.required} approvals can never be given by the ${users.length} listed user${users.length === 1 ? '' : 's'}; lower required or list more approvers`,
    });
  }
}

function checkContainerTargets(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  config.containerRepo?.templates.forEach(({ distro, arch }, index) => {
    const path = ['containerRepo', 'templates', index];
    if (distro === undefined || arch === undefined) {
      if (!config.build.sourceTarball) {
        ctx.addIssue({
          code: 'custom',
          path,
          message:
            'downloads the source tarball (no distro and arch), but build.sourceTarball is false; name a build target or build the source tarball',
        });
      }
      return;
    }
    const entry = config.build.matrix.find((candidate) => candidate.distro === distro);
    if (entry === undefined) {
      const distros = config.build.matrix.map((candidate) => candidate.distro).join(', ');
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'distro'],
        message: `build.matrix has no distro ${distro}; it has ${distros}`,
      });
    } else if (!entry.arch.includes(arch)) {
      ctx.addIssue({
        code: 'custom',
        path: [...path, 'arch'],
        message: `build.matrix has no arch ${arch} for ${distro}; it has ${entry.arch.join(', ')}`,
      });
    }
  });
}

/*
 * Templates are tried with one version: any other gives a name of the same shape, since a version is letters,
 * digits, "." and "-", begins with a digit and has no "/". {project} and {distro} are tried with the config's own
 * values, which are all they can be; a value that is itself refused is left to its own message.
 */
const sampleVersion = parseVersion('1.2.3');

function templateValues(config: ProjectConfigFields, distro?: string): TemplateValues | undefined {
  if (!ProjectName.safeParse(config.project).success) return undefined;
  if (distro !== undefined && !Token.safeParse(distro).success) return undefined;
  return {
    version: sampleVersion.text,
    majorMinor: sampleVersion.majorMinor,
    project: config.project,
    ...(distro === undefined ? {} : { distro }),
  };
}

const onceReplaced = `once its placeholders are replaced (for version ${sampleVersion.text}),`;

function checkReleaseTag(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  const { tag } = config.publish.release;
  const values = templateValues(config);
  if (values === undefined || placeholderProblems(tag, releasePlaceholders).length > 0) return;
  const problem = refNameProblem(renderTemplate(tag, values), 'tag');
  if (problem === undefined) return;
  ctx.addIssue({
    code: 'custom',
    path: ['publish', 'release', 'tag'],
    message: `${onceReplaced} ${refMessage('tag', problem)}`,
  });
}

function checkContainerOutputs(config: ProjectConfigFields, ctx: z.RefinementCtx<ProjectConfigFields>) {
  config.containerRepo?.templates.forEach(({ output, distro }, index) => {
    const values = templateValues(config, distro);
    if (values === undefined || placeholderProblems(output, outputPlaceholders(distro)).length > 0) return;
    if (repositoryPathProblem(output, containerRepoPlace) !== undefined) return;
    const problem = repositoryPathProblem(renderTemplate(output, values), containerRepoPlace);
    if (problem === undefined) return;
    ctx.addIssue({
      code: 'custom',
      path: ['containerRepo', 'templates', index, 'output'],
      message: `${onceReplaced} ${problem}`,
    });
  });
}

export const ProjectConfig = ProjectConfigFields.superRefine((config, ctx) => {
  checkStages(config, ctx);
  checkApproval(config, ctx);
  checkContainerTargets(config, ctx);
  checkReleaseTag(config, ctx);
  checkContainerOutputs(config, ctx);
}).meta({
  title: 'Relforge release config',
  description:
    'How Relforge releases one project: the source, the build of each target, where the files are published and the repositories updated after. Secrets are named, never written: {env: VARIABLE} or {file: PATH}.',
});
/** The config as written (defaults optional). */
export type ProjectConfigInput = z.input<typeof ProjectConfig>;
/** The config after parsing (defaults applied): what the release works from. */
export type ProjectConfig = z.infer<typeof ProjectConfig>;
