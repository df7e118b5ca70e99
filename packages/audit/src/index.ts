/**
 * The audit trail of every way in: each gateway request (a dispatch, a webhook delivery, an issue comment, an
 * approval) and each operator action the CLI sends straight to Temporal is one record of who (and how they proved it),
 * through what, which operation with which inputs, the decision and the rule behind it, and the workflow it touched.
 * Records go to a JetStream stream per namespace on file storage that refuses deletes and purges, so the trail outlives
 * Temporal's retention and no client can rewrite it. Tokens are never recorded: inputs named like secrets are dropped.
 */
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { StackError } from '@relforge/errors';
import { subjectToken } from '@relforge/release-events/jetstream';
import { z } from 'zod';

export const AuditRecord = z.object({
  id: z.string().meta({ description: 'Unique per record; also the message id, so a retried append is stored once.' }),
  at: z.iso.datetime().meta({ description: 'When the gateway or the CLI decided, UTC.' }),
  actor: z.object({
    login: z.string().optional().meta({ description: 'The forge login, once known; absent for an unknown caller.' }),
    auth: z
      .enum(['github-token', 'webhook-signature', 'temporal-credentials', 'session', 'none'])
      .meta({ description: 'How the caller proved who they are.' }),
    osUser: z.string().optional().meta({ description: 'user@host of a CLI that talks to Temporal directly.' }),
  }),
  via: z.object({
    kind: z.enum(['dispatch', 'webhook', 'issue-comment', 'cli', 'board']),
    delivery: z.string().optional().meta({ description: 'X-GitHub-Delivery of a webhook delivery.' }),
    event: z.string().optional().meta({ description: 'X-GitHub-Event of a webhook delivery.' }),
    comment: z.string().optional().meta({ description: 'The issue comment that asked, by URL.' }),
  }),
  operation: z.string().meta({ description: 'release, re-release, resume, abort, approve, or the webhook event.' }),
  project: z.string().optional(),
  inputs: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  decision: z.enum(['accepted', 'refused']),
  rule: z
    .string()
    .optional()
    .meta({ description: 'The rule that allowed or refused, e.g. access.re-release.minRole.' }),
  reason: z.string().optional().meta({ description: 'What a refusal said.' }),
  status: z.number().int().optional().meta({ description: 'The HTTP status the gateway answered.' }),
  workflow: z.object({ id: z.string(), how: z.string().optional() }).optional(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;
export type AuditEntry = Omit<AuditRecord, 'id' | 'at'> & Partial<Pick<AuditRecord, 'at'>>;

/** One stream per namespace, `relforge-audit-<namespace>`, holding `relforge-audit.<namespace>.<project>`. */
export const auditStreamName = (namespace: string) => `relforge-audit-${subjectToken(namespace)}`;
const auditSubjects = (namespace: string) => `relforge-audit.${subjectToken(namespace)}.>`;
/** A record with no project (a delivery for no known repository) files under `_`, which no project token can be. */
const auditSubject = (namespace: string, project: string | undefined) =>
  `relforge-audit.${subjectToken(namespace)}.${project ? subjectToken(project) : '_'}`;

/**
 * Append-only by the server's rules: deny_delete and deny_purge refuse every client, and no age, count or size limit
 * drops a record. Growing it is the operator's choice; a bounded trail would be a trail with holes.
 */
function streamConfig(namespace: string): Partial<StreamConfig> & { name: string } {
  return {
    name: auditStreamName(namespace),
    subjects: [auditSubjects(namespace)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    max_age: 0,
    max_msgs: -1,
    max_bytes: -1,
    deny_delete: true,
    deny_purge: true,
    allow_direct: true,
    num_replicas: 1,
  };
}

/** Input names that could carry a secret: never recorded, whatever an operation's schema says. */
const secretLike = /token|secret|password|credential|key/i;

export interface AuditFilter {
  project?: string;
  actor?: string;
  /** Records at or after this instant. */
  since?: Date;
}

const timeoutMs = 5_000;

/**
 * `nats://user:password@host:port` as the client takes it: the NATS user the audit writers run as, whose permissions
 * deny deleting the audit streams (see docs/approvals-and-dispatch.md), separate from the server address.
 */
export function serverAndUser(url: string): { servers: string; user?: string; pass?: string } {
  const match = /^([a-z]+:\/\/)([^:@/]+)(?::([^@/]*))?@(.+)$/.exec(url);
  if (!match) return { servers: url };
  return {
    servers: `${match[1]}${match[4]}`,
    user: decodeURIComponent(match[2] ?? ''),
    ...(match[3] !== undefined ? { pass: decodeURIComponent(match[3]) } : {}),
  };
}

/** Appends records to and reads them from the namespace's audit stream on one NATS server. */
export class AuditLog {
  #ensured = false;

  private constructor(
    readonly url: string,
    readonly namespace: string,
    private readonly connection: NatsConnection,
    private readonly jsm: JetStreamManager,
  ) {}

  static async connect(url: string, namespace: string, name = 'relforge-audit'): Promise<AuditLog> {
    try {
      const connection = await connect({
        ...serverAndUser(url),
        name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
      });
      return new AuditLog(url, namespace, connection, await jetstreamManager(connection, { timeout: timeoutMs }));
    } catch (error) {
      throw new StackError(`could not connect to NATS at ${url} for the audit trail (${(error as Error).message})`, {
        fix: 'start it (locally: `relforge stack up`), or set RELFORGE_NATS_URL to the NATS server with JetStream',
        cause: error,
      });
    }
  }

  get stream(): string {
    return auditStreamName(this.namespace);
  }

  /** Creates the stream unless it exists; one made by another writer first counts as made. */
  async ensureStream(): Promise<void> {
    if (this.#ensured) return;
    try {
      await this.jsm.streams.info(this.stream);
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
      await this.jsm.streams.add(streamConfig(this.namespace)).catch(async (added: unknown) => {
        await this.jsm.streams.info(this.stream).catch(() => {
          throw added;
        });
      });
    }
    this.#ensured = true;
  }

  /** Stores one record and returns it as stored; throws when the server does not acknowledge it. */
  async append(entry: AuditEntry): Promise<AuditRecord> {
    await this.ensureStream();
    const inputs = Object.fromEntries(Object.entries(entry.inputs).filter(([name]) => !secretLike.test(name)));
    const record = AuditRecord.parse({ ...entry, inputs, id: randomUUID(), at: entry.at ?? new Date().toISOString() });
    await jetstream(this.connection).publish(auditSubject(this.namespace, record.project), JSON.stringify(record), {
      msgID: record.id,
      timeout: timeoutMs,
    });
    return record;
  }

  /** The records that match, oldest first, as stored when this was called. */
  async read(filter: AuditFilter = {}): Promise<AuditRecord[]> {
    const info = await this.jsm.streams.info(this.stream).catch((error: unknown) => {
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw error;
    });
    if (!info || info.state.messages === 0) return [];
    const consumer = await jetstream(this.connection).consumers.get(this.stream, {
      filter_subjects: [filter.project ? auditSubject(this.namespace, filter.project) : auditSubjects(this.namespace)],
      ...(filter.since
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: filter.since.toISOString() }
        : { deliver_policy: DeliverPolicy.All }),
    });
    const records: AuditRecord[] = [];
    // Batches until the consumer has nothing pending: a filter that matches nothing ends at the first batch's expiry.
    for (let more = true; more;) {
      const batch = await consumer.fetch({ max_messages: 1_000, expires: 1_000 });
      more = false;
      for await (const message of batch) {
        const record = AuditRecord.parse(message.json());
        if (!filter.actor || record.actor.login === filter.actor) records.push(record);
        more = message.info.pending > 0;
      }
    }
    return records;
  }

  async close(): Promise<void> {
    await this.connection.drain().catch(() => this.connection.close());
  }
}
