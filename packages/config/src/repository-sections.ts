/** The config sections of the repositories a release updates: the checksum repository, the container repository with its templates, the website. */
import { z } from 'zod';
import { type PathPlace } from './repository-paths.js';
import { type Placeholder, placeholderProblems } from './templates.js';
import { RefName, RepoName, RepositoryPath, Token, onlyPlaceholders } from './fields.js';
import { releasePlaceholders } from './publish-sections.js';

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
export const containerRepoPlace: PathPlace = { repository: 'the container repository', example: outputExample };

export const outputPlaceholders = (distro: string | undefined): Placeholder[] =>
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
