/**
 * The stand-in's own admin API (`/_standin/...`), not GitHub's: its payloads
 * are defined once here and checked with zod on both sides of the wire.
 */
import { z } from 'zod';

const repoNamePart = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, `_`, `.` and `-` only')
  .refine((name) => !name.startsWith('.'), 'must not start with a dot');

export const createRepoInput = z.object({
  owner: repoNamePart,
  name: repoNamePart,
  defaultBranch: z
    .string()
    .regex(/^[A-Za-z0-9_./-]+$/)
    .default('main'),
  /** A folder whose files become the first commit on the default branch. */
  seedDir: z.string().optional(),
});
export type CreateRepoInput = z.input<typeof createRepoInput>;

export const createdRepo = z.object({
  owner: z.string(),
  name: z.string(),
  defaultBranch: z.string(),
  created: z.boolean(),
  /** The default branch's commit, when it has one. */
  head: z.string().optional(),
  cloneUrl: z.string(),
});
export type CreatedRepo = z.infer<typeof createdRepo>;

const faultMatch = z.object({
  method: z.string().toUpperCase().optional(),
  /** A regular expression tested against the request path (without the query). */
  path: z
    .string()
    .refine((source) => {
      try {
        return new RegExp(source) instanceof RegExp;
      } catch {
        return false;
      }
    }, 'not a valid regular expression')
    .optional(),
});

const statusFault = z.object({
  match: faultMatch.default({}),
  count: z.number().int().positive().default(1),
  status: z.union([z.literal(500), z.literal(502), z.literal(403), z.literal(429), z.literal(401)]),
  headers: z.record(z.string(), z.string()).optional(),
});

/** The next matching response loses a top-level field, as a buggy GitHub would send it; the contract check must catch it. */
const omitFieldFault = z.object({
  match: faultMatch.default({}),
  count: z.number().int().positive().default(1),
  omitField: z.string().min(1),
});

/**
 * The next matching request is held before it is served, as a slow GitHub would hold it. An API request's
 * body is read first, so it takes effect when the hold ends even if its client has gone: the reply that
 * never arrived, which a retry must not repeat. A git request's body is read whole first, for the same reason.
 */
const holdFault = z.object({
  match: faultMatch.default({}),
  count: z.number().int().positive().default(1),
  holdMs: z.number().int().positive().max(600_000),
});

export const faultInput = z.union([statusFault, omitFieldFault, holdFault]);
export type FaultInput = z.input<typeof faultInput>;
export type Fault = z.infer<typeof faultInput>;

export const contractViolation = z.object({
  at: z.string(),
  operation: z.string(),
  method: z.string(),
  path: z.string(),
  direction: z.enum(['request', 'response']),
  status: z.number().optional(),
  errors: z.array(z.object({ at: z.string(), message: z.string() })),
});
export type ContractViolation = z.infer<typeof contractViolation>;

const assetSummary = z.object({
  id: z.number(),
  name: z.string(),
  size: z.number(),
  sha256: z.string(),
  contentType: z.string(),
  /** Uploads of this name to this release that were stored, including ones deleted since. */
  uploads: z.number(),
});

const releaseSummary = z.object({
  id: z.number(),
  tag: z.string(),
  name: z.string().nullable(),
  draft: z.boolean(),
  prerelease: z.boolean(),
  targetCommitish: z.string(),
  assets: z.array(assetSummary),
});

const pullSummary = z.object({
  number: z.number(),
  state: z.enum(['open', 'closed']),
  head: z.string(),
  base: z.string(),
  title: z.string(),
});

export const standInState = z.object({
  repos: z.record(
    z.string(),
    z.object({
      defaultBranch: z.string(),
      releases: z.array(releaseSummary),
      pulls: z.array(pullSummary),
    }),
  ),
  /** Requests since this process started, keyed `METHOD operationId` (or `METHOD git` / `METHOD unrouted`). */
  requests: z.record(z.string(), z.number()),
  rejectedUploads: z.array(z.object({ releaseId: z.number(), name: z.string(), reason: z.string() })),
  faultsPending: z.number(),
  /** Webhook deliveries still being made, and every delivery made (redeliveries included). */
  deliveries: z.object({ pending: z.number(), sent: z.number() }),
  /** Requests held by a hold fault: being held now, and ever. */
  held: z.object({ now: z.number(), total: z.number() }),
  violations: z.number(),
});
export type StandInState = z.infer<typeof standInState>;
