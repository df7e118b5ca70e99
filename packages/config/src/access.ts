/**
 * Who may run which operation on a project, and which inputs of it: the `access` section of a project's config. A
 * rule allows a caller who is listed by login, is a member of a listed team, or holds at least `minRole` on the
 * project's source repository, as the forge reports them. Operations without a rule use the defaults below.
 */
import { z } from 'zod';

export const ForgeRole = z.enum(['read', 'triage', 'write', 'maintain', 'admin']);
export type ForgeRole = z.infer<typeof ForgeRole>;
export const forgeRoles = ForgeRole.options;

/** The operations a config can name; @relforge/operations registers one entry for each. */
export const OperationName = z.enum([
  'release',
  're-release',
  'resume',
  'abort',
  'approve',
  'train-start',
  'train-next',
  'train-promote',
]);
export type OperationName = z.infer<typeof OperationName>;

const Login = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?$/, 'expected a GitHub login');
const TeamName = z
  .string()
  .regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9_.-]+$/, 'expected "org/team-slug", e.g. "acme/release-managers"');

const who = {
  users: z.array(Login).optional().meta({ description: 'Logins allowed whatever their role, e.g. ["alice"].' }),
  teams: z
    .array(TeamName)
    .optional()
    .meta({ description: 'Teams whose active members are allowed, as "org/team-slug".' }),
  minRole: ForgeRole.optional().meta({
    description:
      "The least role on the project's source repository that is allowed (read < triage < write < maintain < admin).",
  }),
};

const nobodyNamed = { message: 'give users, teams or minRole: a rule that names nobody would refuse everyone' };
const namesSomeone = (rule: {
  users?: string[] | undefined;
  teams?: string[] | undefined;
  minRole?: string | undefined;
}) => rule.users !== undefined || rule.teams !== undefined || rule.minRole !== undefined;

export const InputAccessRule = z.strictObject(who).refine(namesSomeone, nobodyNamed);
export type InputAccessRule = z.infer<typeof InputAccessRule>;

export const AccessRule = z
  .strictObject({
    ...who,
    inputs: z.record(z.string(), InputAccessRule).optional().meta({
      description:
        'Stricter rules for single inputs, checked when a caller sets the input to something other than its default, e.g. {rollback: {minRole: admin}}.',
    }),
  })
  .refine(namesSomeone, nobodyNamed);
export type AccessRule = z.infer<typeof AccessRule>;

export const AccessConfig = z.partialRecord(OperationName, AccessRule);
export type AccessConfig = z.infer<typeof AccessConfig>;

/**
 * Without a rule: writers release, resume, abort and approve, start a train and release its next prerelease;
 * re-releasing a published version takes an admin. Promoting a train takes a maintainer: moving to rc announces a
 * release candidate to everyone testing it, and promoting to final publishes the stable release, which is the
 * maintainers' call as a project's branch protection usually makes it (the approval gate, when configured, still
 * holds the final). A rule cannot tell `channel=final` apart per input, since channel has no default to differ from.
 */
export const defaultAccess: Record<OperationName, AccessRule> = {
  release: { minRole: 'write' },
  're-release': { minRole: 'admin' },
  resume: { minRole: 'write' },
  abort: { minRole: 'write' },
  approve: { minRole: 'write' },
  'train-start': { minRole: 'write' },
  'train-next': { minRole: 'write' },
  'train-promote': { minRole: 'maintain' },
};
