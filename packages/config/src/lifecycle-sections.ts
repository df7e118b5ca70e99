/** The config sections around a release: prerelease trains, signing, webhooks for its events, and approvals. */
import semver from 'semver';
import { z } from 'zod';
import { ReleaseKeyError, ReleasePublicKey } from '@relforge/signing';
import { releaseEventTypes } from '@relforge/release-events';
import { Duration, ProjectName, SecretRef, Stage, httpUrl, refuseRepeats, secretRefError, stages } from './fields.js';

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

export const WebhooksConfig = z.array(WebhookReceiver).superRefine((receivers, ctx) => {
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
export const approvableStages = stages.slice(stages.indexOf('publish'));

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
