/**
 * What a release attests, as in-toto Statement v1: the SLSA provenance v1 of its build, and Relforge's publish
 * attestation — where each file went and the digest each place was checked to hold. Schemas once, types from them.
 */
import { z } from 'zod';

export const statementType = 'https://in-toto.io/Statement/v1';
export const slsaProvenanceType = 'https://slsa.dev/provenance/v1';
/**
 * The `buildType` of a Relforge release: a Temporal workflow built every matrix target (and the source tarball) from
 * one commit with the config's build command, then digested and signed the files. Its parameters are
 * `RelforgeExternalParameters` and `RelforgeInternalParameters`.
 */
export const relforgeBuildType = 'https://relforge.dev/attestations/release-build/v1';
/** The predicate of Relforge's publish attestation (`PublishPredicate`): every file, where it was published, checked. */
export const publishPredicateType = 'https://relforge.dev/attestations/publish/v1';

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex digits');
const Timestamp = z.iso.datetime({ offset: true });

/** in-toto ResourceDescriptor v1: a file, a repository, a place. */
export const ResourceDescriptor = z.object({
  name: z.string().optional(),
  uri: z.string().optional(),
  digest: z.record(z.string(), z.string()).optional(),
  downloadLocation: z.string().optional(),
  mediaType: z.string().optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
});
export type ResourceDescriptor = z.infer<typeof ResourceDescriptor>;

/** A file of the release: its name and sha256. */
export const Subject = z.object({ name: z.string().min(1), digest: z.object({ sha256: Sha256 }) });
export type Subject = z.infer<typeof Subject>;

export const Statement = z.object({
  _type: z.literal(statementType),
  subject: z.array(Subject).min(1),
  predicateType: z.string().min(1),
  predicate: z.record(z.string(), z.unknown()),
});
export type Statement = z.infer<typeof Statement>;

export const RelforgeExternalParameters = z.object({
  project: z.string(),
  version: z.string(),
  source: z.object({
    repository: z.string().meta({ description: 'The source repository, "owner/name" on the forge.' }),
    uri: z.string().meta({ description: 'Where git fetches it, "git+<url>".' }),
    commit: z.string().meta({ description: 'The commit every file was built from.' }),
  }),
  config: z
    .object({
      sha256: Sha256.meta({ description: "The sha256 of the worker's config file the release ran with." }),
    })
    .optional()
    .meta({ description: 'Absent only for releases started before configs were pinned by digest.' }),
});
export type RelforgeExternalParameters = z.infer<typeof RelforgeExternalParameters>;

export const RelforgeInternalParameters = z.object({
  targets: z.array(z.object({ distro: z.string(), arch: z.string(), file: z.string() })),
  sourceTarball: z.string().optional(),
});
export type RelforgeInternalParameters = z.infer<typeof RelforgeInternalParameters>;

export const SlsaProvenance = z.object({
  buildDefinition: z.object({
    buildType: z.string(),
    externalParameters: z.record(z.string(), z.unknown()),
    internalParameters: z.record(z.string(), z.unknown()).optional(),
    resolvedDependencies: z.array(ResourceDescriptor).optional(),
  }),
  runDetails: z.object({
    builder: z.object({ id: z.string().min(1), version: z.record(z.string(), z.string()).optional() }),
    metadata: z
      .object({
        invocationId: z.string().optional(),
        startedOn: Timestamp.optional(),
        finishedOn: Timestamp.optional(),
      })
      .optional(),
    byproducts: z.array(ResourceDescriptor).optional(),
  }),
});
export type SlsaProvenance = z.infer<typeof SlsaProvenance>;

export const ProvenanceStatement = Statement.extend({
  predicateType: z.literal(slsaProvenanceType),
  predicate: SlsaProvenance.extend({
    buildDefinition: SlsaProvenance.shape.buildDefinition.extend({
      buildType: z.literal(relforgeBuildType),
      externalParameters: RelforgeExternalParameters,
      internalParameters: RelforgeInternalParameters,
    }),
  }),
});
export type ProvenanceStatement = z.infer<typeof ProvenanceStatement>;

/** One place a file was published, with the sha256 Relforge read back from that place. */
export const Placement = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('s3'),
    uri: z.string().meta({ description: '"s3://<bucket>/<key>".' }),
    url: z.string().meta({ description: 'Where people download it from.' }),
    etag: z.string(),
    sha256: Sha256,
  }),
  z.object({
    type: z.literal('release-asset'),
    repository: z.string(),
    tag: z.string(),
    releaseId: z.number().int(),
    assetId: z.number().int(),
    url: z.string(),
    sha256: Sha256,
  }),
  z.object({
    type: z.literal('checksum-repo'),
    repository: z.string(),
    branch: z.string(),
    commit: z.string(),
    path: z.string(),
    sha256: Sha256.meta({ description: 'The digest of the hash line for the file in that commit.' }),
  }),
  z.object({
    type: z.literal('pull-request'),
    repository: z.string(),
    url: z.string(),
    branch: z.string(),
    commit: z.string(),
    path: z.string().meta({ description: 'The file on the branch that names the digest, e.g. a Dockerfile.' }),
    sha256: Sha256,
  }),
]);
export type Placement = z.infer<typeof Placement>;

export const PublishPredicate = z.object({
  project: z.string(),
  version: z.string(),
  /** The provenance's invocation: the release that published. */
  invocationId: z.string(),
  attestedOn: Timestamp,
  files: z.array(z.object({ name: z.string(), sha256: Sha256, placements: z.array(Placement) })),
  /** Pull requests that name the release without holding digests, e.g. the website's release page. */
  pullRequests: z.array(
    z.object({ repository: z.string(), url: z.string(), branch: z.string(), commit: z.string(), path: z.string() }),
  ),
});
export type PublishPredicate = z.infer<typeof PublishPredicate>;

export const PublishStatement = Statement.extend({
  predicateType: z.literal(publishPredicateType),
  predicate: PublishPredicate,
});
export type PublishStatement = z.infer<typeof PublishStatement>;

export interface ProvenanceFacts {
  subjects: Subject[];
  external: RelforgeExternalParameters;
  internal: RelforgeInternalParameters;
  builderId: string;
  invocationId: string;
  startedOn: string;
  finishedOn: string;
}

/** The SLSA provenance v1 statement of a release's build. */
export function provenanceStatement(facts: ProvenanceFacts): ProvenanceStatement {
  return ProvenanceStatement.parse({
    _type: statementType,
    subject: facts.subjects,
    predicateType: slsaProvenanceType,
    predicate: {
      buildDefinition: {
        buildType: relforgeBuildType,
        externalParameters: facts.external,
        internalParameters: facts.internal,
        resolvedDependencies: [
          { name: 'source', uri: facts.external.source.uri, digest: { gitCommit: facts.external.source.commit } },
        ],
      },
      runDetails: {
        builder: { id: facts.builderId },
        metadata: { invocationId: facts.invocationId, startedOn: facts.startedOn, finishedOn: facts.finishedOn },
      },
    },
  });
}

/** The publish attestation: its subjects are the files, its predicate where each one was found. */
export function publishStatement(predicate: PublishPredicate): PublishStatement {
  return PublishStatement.parse({
    _type: statementType,
    subject: predicate.files.map((file) => ({ name: file.name, digest: { sha256: file.sha256 } })),
    predicateType: publishPredicateType,
    predicate,
  });
}
