/**
 * The shape of a project's release config (`relforge.yaml` / `relforge.json`).
 * Every type Relforge uses for config is inferred from these schemas; the
 * committed JSON Schema is generated from them too.
 */
import { z } from 'zod';
import { type Placeholder, placeholderProblems } from './templates.js';

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
      { env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name') },
      { error: secretRefError },
    ),
    z.strictObject({ file: z.string().min(1, 'expected a file path') }, { error: secretRefError }),
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

const httpUrl = () =>
  z.url({ protocol: /^https?$/, error: unlessMissing('expected an http:// or https:// URL'), abort: true });

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
  distro: Token,
  arch: z.array(Token).min(1, 'list at least one architecture').superRefine(refuseRepeats('architecture')),
});

export const BuildConfig = z.strictObject({
  /** Run in a clean checkout of the source at the release commit, with RELFORGE_* variables set. */
  command: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
    error: unlessMissing('expected a command line, or a list of the program and its arguments'),
  }),
  timeout: Duration.default('30m'),
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
    }),
  sourceTarball: z.boolean().default(true),
});

const NumericId = z.union([z.number().int().positive(), z.string().regex(/^\d+$/)], {
  error: unlessMissing('expected a positive whole number'),
});

export const ForgeAuth = z.union(
  [
    z.strictObject({ token: SecretRef }),
    z.strictObject({
      app: z.strictObject({
        appId: NumericId,
        installationId: NumericId,
        privateKey: SecretRef,
      }),
    }),
  ],
  { error: unlessMissing('expected {token: {env: VARIABLE}} or {app: {appId, installationId, privateKey}}') },
);

export const ForgeConfig = z.strictObject({
  /** GitHub's REST API root; a GitHub Enterprise server or Relforge's stand-in elsewhere. */
  apiUrl: httpUrl().default('https://api.github.com'),
  /** Where git clones from and pushes to; derived from apiUrl when it is GitHub's. */
  gitUrl: z.url({ protocol: /^(https?|file)$/, error: 'expected an http://, https:// or file:// URL' }).optional(),
  auth: ForgeAuth,
});

export const S3Config = z.strictObject({
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (lowercase, 3-63 characters)'),
  prefix: z
    .string()
    .regex(/^([^/].*\/)?$/, 'expected "" or a prefix ending in "/", e.g. "releases/"')
    .default('releases/'),
  region: z.string().min(1).default('us-east-1'),
  /** For S3-compatible servers; omit for AWS. */
  endpoint: httpUrl().optional(),
  forcePathStyle: z.boolean().default(false),
  /**
   * Where people download from: `<publicBaseUrl>/<file>` goes into hashes, Dockerfiles and the website. A trailing
   * "/" would put "//" into every one of those URLs.
   */
  publicBaseUrl: httpUrl().refine((url) => !url.endsWith('/'), 'drop the trailing "/"'),
  credentials: z.strictObject({ accessKeyId: SecretRef, secretAccessKey: SecretRef }).optional(),
});

const releasePlaceholders: Placeholder[] = ['version', 'project', 'majorMinor'];

export const ReleaseConfig = z.strictObject({
  repository: RepoName,
  /** `{version}` is replaced: "v{version}" → "v8.1.0". */
  tag: z
    .string()
    .regex(/\{version\}/, 'must contain {version}, e.g. "v{version}"')
    .superRefine(onlyPlaceholders(releasePlaceholders))
    .default('{version}'),
  name: z.string().min(1).superRefine(onlyPlaceholders(releasePlaceholders)).default('{project} {version}'),
});

export const ChecksumRepoConfig = z.strictObject({
  repository: RepoName,
  branch: z.string().min(1).default('main'),
  /** The file holding `hash <file> sha256 <hex> <url>` lines. */
  file: z.string().min(1).default('README'),
});

export const ContainerTemplate = z
  .strictObject({
    /** Template path in the container repo, e.g. "Dockerfile.template". */
    template: z.string().min(1),
    /** Output path; `{majorMinor}`, `{version}`, `{project}` and `{distro}` are replaced, e.g. "{majorMinor}/{distro}/Dockerfile". */
    output: z.string().min(1),
    /** The build target whose artifact this Dockerfile downloads; the source tarball when omitted. */
    distro: Token.optional(),
    arch: Token.optional(),
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
    const allowed: Placeholder[] = ['version', 'project', 'majorMinor'];
    if (template.distro !== undefined) allowed.push('distro');
    for (const message of placeholderProblems(template.output, allowed)) {
      ctx.addIssue({ code: 'custom', path: ['output'], message });
    }
  });

export const ContainerRepoConfig = z.strictObject({
  repository: RepoName,
  base: z.string().min(1).default('main'),
  versionsFile: z.string().min(1).default('versions.json'),
  /** `ENV <envPrefix>_VERSION`, `_DOWNLOAD_URL`, `_DOWNLOAD_SHA` in the Dockerfiles. */
  envPrefix: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected an upper-case identifier, e.g. "VALKEY"'),
  templates: z.array(ContainerTemplate).min(1, 'list at least one Dockerfile template'),
});

export const WebsiteRepoConfig = z.strictObject({
  repository: RepoName,
  base: z.string().min(1).default('main'),
  /** Folder of release pages; the page is `v<version with dots as dashes>.md`. */
  path: z.string().min(1).default('content/download/releases'),
});

const ProjectConfigFields = z.strictObject({
  $schema: z.string().optional(),
  project: ProjectName,
  source: z.strictObject({
    repository: RepoName,
    /** Branch or commit the release is built from; resolved to one commit at the start of the release. */
    ref: z.string().min(1).default('main'),
  }),
  /** Stages to run, in order; all of them when omitted. */
  stages: z.array(Stage).min(1, 'list at least one stage, or omit stages to run all of them').optional(),
  build: BuildConfig,
  forge: ForgeConfig,
  publish: z.strictObject({ s3: S3Config, release: ReleaseConfig }),
  checksumRepo: ChecksumRepoConfig.optional(),
  containerRepo: ContainerRepoConfig.optional(),
  websiteRepo: WebsiteRepoConfig.optional(),
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

export const ProjectConfig = ProjectConfigFields.superRefine((config, ctx) => {
  checkStages(config, ctx);
  checkContainerTargets(config, ctx);
});
/** The config as written (defaults optional). */
export type ProjectConfigInput = z.input<typeof ProjectConfig>;
/** The config after parsing (defaults applied): what the release works from. */
export type ProjectConfig = z.infer<typeof ProjectConfig>;
