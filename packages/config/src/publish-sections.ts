/** The config sections that build and publish: the build matrix, the forge and its credentials, S3, the release. */
import { z } from 'zod';
import { s3PrefixProblem } from './repository-paths.js';
import { type Placeholder } from './templates.js';
import {
  Duration,
  RepoName,
  SecretRef,
  Token,
  forgeCredentialFix,
  httpUrl,
  onlyPlaceholders,
  refuseRepeats,
  refusing,
  unlessMissing,
  withoutUserinfo,
} from './fields.js';

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

export const releasePlaceholders: Placeholder[] = ['version', 'project', 'majorMinor'];

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
