/**
 * What the stand-in remembers between runs: releases, assets, pull requests,
 * webhooks and their deliveries, and ids, in one JSON file under the data folder. Asset bytes sit beside it
 * and the repositories are bare git repositories, so a restart loses nothing.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** People (people.ts): users with their token's digest, collaborators' roles, teams, issues and comments. */
export const storedUser = z.object({
  id: z.number(),
  login: z.string(),
  tokenSha256: z.string(),
  /** A token past this instant is refused as GitHub refuses an expired fine-grained token. */
  tokenExpiresAt: z.string().nullable(),
  createdAt: z.string(),
});
export const storedCollaborator = z.object({
  repo: z.string(),
  login: z.string(),
  role: z.enum(['read', 'triage', 'write', 'maintain', 'admin']),
});
export const storedTeam = z.object({
  id: z.number(),
  org: z.string(),
  slug: z.string(),
  members: z.array(z.object({ login: z.string(), role: z.enum(['member', 'maintainer']) })),
});
export const storedIssue = z.object({
  id: z.number(),
  repo: z.string(),
  number: z.number(),
  title: z.string(),
  body: z.string().nullable(),
  user: z.string(),
  createdAt: z.string(),
  comments: z.number(),
});
export const storedComment = z.object({
  id: z.number(),
  repo: z.string(),
  issueNumber: z.number(),
  body: z.string(),
  user: z.string(),
  createdAt: z.string(),
});
export type StoredIssue = z.infer<typeof storedIssue>;
export type StoredComment = z.infer<typeof storedComment>;

const storedRepo = z.object({ id: z.number(), owner: z.string(), name: z.string(), createdAt: z.string() });

const storedRelease = z.object({
  id: z.number(),
  repo: z.string(),
  tagName: z.string(),
  targetCommitish: z.string(),
  name: z.string().nullable(),
  body: z.string().nullable(),
  draft: z.boolean(),
  prerelease: z.boolean(),
  createdAt: z.string(),
  publishedAt: z.string().nullable(),
  author: z.string(),
  /**
   * When the release was last made the repository's latest (make_latest, "true" by default on publishing): the
   * latest release is the one made so most recently. Absent in data stored before latest releases were kept.
   */
  latestAt: z.string().nullable().optional(),
});
export type StoredRelease = z.infer<typeof storedRelease>;

const storedAsset = z.object({
  id: z.number(),
  releaseId: z.number(),
  name: z.string(),
  label: z.string().nullable(),
  contentType: z.string(),
  size: z.number(),
  sha256: z.string(),
  createdAt: z.string(),
  uploader: z.string(),
});
export type StoredAsset = z.infer<typeof storedAsset>;

const storedPull = z.object({
  id: z.number(),
  repo: z.string(),
  number: z.number(),
  title: z.string(),
  body: z.string().nullable(),
  head: z.string(),
  base: z.string(),
  state: z.enum(['open', 'closed']),
  createdAt: z.string(),
  /** Absent in stores written before pull requests could be closed, and while open. */
  closedAt: z.string().optional(),
  user: z.string(),
});
export type StoredPull = z.infer<typeof storedPull>;

const storedHook = z.object({
  id: z.number(),
  repo: z.string(),
  active: z.boolean(),
  events: z.array(z.string()),
  url: z.string(),
  contentType: z.enum(['json', 'form']),
  /** The HMAC key deliveries are signed with; answered as "********", as GitHub does. */
  secret: z.string().nullable(),
  insecureSsl: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  lastResponse: z.object({ code: z.number().nullable(), status: z.string(), message: z.string().nullable() }),
});
export type StoredHook = z.infer<typeof storedHook>;

const storedDelivery = z.object({
  id: z.number(),
  /** `X-GitHub-Delivery`: the same for a delivery and its redeliveries. */
  guid: z.string(),
  hookId: z.number(),
  repo: z.string(),
  event: z.string(),
  action: z.string().nullable(),
  redelivery: z.boolean(),
  deliveredAt: z.string(),
  /** Seconds the receiver took to answer. */
  duration: z.number(),
  /** "OK" for a 2xx, else what went wrong; "pending" until the attempt ends. */
  status: z.string(),
  statusCode: z.number(),
  request: z.object({ headers: z.record(z.string(), z.string()), body: z.string() }),
  response: z.object({ headers: z.record(z.string(), z.string()), body: z.string().nullable() }),
});
export type StoredDelivery = z.infer<typeof storedDelivery>;

const persisted = z.object({
  nextId: z.number(),
  repos: z.record(z.string(), storedRepo),
  releases: z.array(storedRelease),
  assets: z.array(storedAsset),
  pulls: z.array(storedPull),
  /** `releaseId/name` → stored uploads, so a test can see a step that uploaded twice. */
  uploads: z.record(z.string(), z.number()),
  rejectedUploads: z.array(z.object({ releaseId: z.number(), name: z.string(), reason: z.string() })),
  /** SHA-256 of each installation token handed out, so tokens outlive a restart as they outlive a deploy at GitHub. */
  installationTokens: z.array(z.object({ sha256: z.string(), expiresAt: z.string() })),
  hooks: z.array(storedHook).default([]),
  deliveries: z.array(storedDelivery).default([]),
  /** Users with tokens of their own, their roles on repositories, teams, issues and comments (people.ts). */
  users: z.array(storedUser).default([]),
  collaborators: z.array(storedCollaborator).default([]),
  teams: z.array(storedTeam).default([]),
  issues: z.array(storedIssue).default([]),
  comments: z.array(storedComment).default([]),
});
export type Persisted = z.infer<typeof persisted>;

export class Store {
  readonly data: Persisted;
  readonly assetsDir: string;
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'state.json');
    this.assetsDir = join(dataDir, 'assets');
    mkdirSync(this.assetsDir, { recursive: true });
    this.data = existsSync(this.file)
      ? persisted.parse(JSON.parse(readFileSync(this.file, 'utf8')))
      : {
          nextId: 1,
          repos: {},
          releases: [],
          assets: [],
          pulls: [],
          uploads: {},
          rejectedUploads: [],
          installationTokens: [],
          hooks: [],
          deliveries: [],
          users: [],
          collaborators: [],
          teams: [],
          issues: [],
          comments: [],
        };
  }

  /** Ids are global like GitHub's, and never reused, so a stale id in a test cannot hit a new object. */
  newId(): number {
    const id = this.data.nextId;
    this.data.nextId += 1;
    return id;
  }

  assetFile(assetId: number): string {
    return join(this.assetsDir, String(assetId));
  }

  /** Written whole and renamed into place, so a crash mid-write leaves the previous state, never half a file. */
  save(): void {
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.data, null, 1)}\n`);
    renameSync(temporary, this.file);
  }
}
