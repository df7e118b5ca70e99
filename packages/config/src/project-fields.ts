/** Every section of a project config, each checked on its own: the cross-field rules (rules.ts) apply on top. */
import { z } from 'zod';
import { AccessConfig } from './access.js';
import { ProjectName, RefName, RepoName, Stage, stages } from './fields.js';
import { BuildConfig, ForgeConfig, ReleaseConfig, S3Config } from './publish-sections.js';
import { ChecksumRepoConfig, ContainerRepoConfig, WebsiteRepoConfig } from './repository-sections.js';
import { ApprovalConfig, SigningConfig, TrainConfig, WebhooksConfig } from './lifecycle-sections.js';

export const ProjectConfigFields = z.strictObject({
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
export type ProjectConfigFields = z.infer<typeof ProjectConfigFields>;
