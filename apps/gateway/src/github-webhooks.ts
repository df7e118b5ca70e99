/**
 * `POST /github/webhooks`: GitHub's deliveries, verified with @octokit/webhooks against `X-Hub-Signature-256`
 * (HMAC-SHA256 of the raw body, compared in constant time) before anything is read from them. A tag push to a
 * project's source repository and a release published in its release repository start that version's release, or
 * reach the run in progress; every other event is answered `ignored`, with the reason.
 */
import { Webhooks } from '@octokit/webhooks';
import type { AuditEntry } from '@relforge/audit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { issueLines } from '@relforge/errors';
import type { ReleaseTrigger } from '@relforge/release';
import { triggerRelease, type TriggerOutcome } from '@relforge/release-start';
import { z } from 'zod';
import type { ProjectRoutes, RoutedRelease } from './projects.js';
import type { TemporalLink } from './temporal.js';

/** GitHub caps a delivery's payload at 25 MB. */
const maxPayload = 25 * 1024 * 1024;

const repository = z.object({ full_name: z.string().min(1) });
const sender = z.object({ login: z.string() }).optional();

const PushPayload = z.object({
  ref: z.string().min(1),
  deleted: z.boolean().default(false),
  repository,
  sender,
});

const ReleasePayload = z.object({
  action: z.string().min(1),
  release: z.object({
    id: z.number().int().positive(),
    tag_name: z.string().min(1),
    html_url: z.string(),
    draft: z.boolean(),
  }),
  repository,
  sender,
});

/** What the gateway answered, for the delivery's log line and the response body. */
type Answer =
  | { status: 200 | 202 | 400; body: Record<string, unknown> }
  | { status: 202 | 200; body: { delivery: string; releases: AnsweredRelease[]; ignored?: string } }
  | { status: 200; body: { delivery: string; ignored: string } }
  | { status: 400 | 401 | 415 | 503; body: { error: string; fix: string } };

interface AnsweredRelease {
  project: string;
  version: string;
  workflowId: string;
  /** started, attached (it ran already), completed (released before: nothing started), delivered-before (this delivery reached a run that has ended: nothing started). */
  how: TriggerOutcome['how'];
}

const refusal = (status: 400 | 401 | 415 | 503, error: string, fix: string): Answer => ({
  status,
  body: { error, fix },
});

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export interface WebhookDeps {
  secret: string;
  routes: ProjectRoutes;
  temporal: TemporalLink;
  /** The issue-comment trigger (issue-comments.ts), when the gateway dispatches. */
  issueComment?: (
    delivery: string,
    payload: unknown,
  ) => Promise<{ status: 200 | 202 | 400; body: Record<string, unknown> }>;
  /** Each delivery's audit record, accepted or refused (dispatch.ts). */
  audit?: (entry: AuditEntry) => Promise<void>;
}

export function githubWebhooks(deps: WebhookDeps) {
  const webhooks = new Webhooks({ secret: deps.secret });

  async function verified(body: string, signature: string | undefined): Promise<boolean> {
    if (!signature || body === '') return false;
    // Throws on input it cannot even compare, which is no valid signature either.
    return webhooks.verify(body, signature).catch(() => false);
  }

  async function start(delivery: string, routed: RoutedRelease[], trigger: Omit<ReleaseTrigger, 'deliveryId' | 'at'>) {
    const client = await deps.temporal.client();
    const at = new Date().toISOString();
    return Promise.all(
      routed.map(async ({ project, version }): Promise<AnsweredRelease> => {
        const outcome = await triggerRelease(
          client,
          // The sender started it: the approval stage refuses their approval unless the config allows it.
          {
            project,
            version,
            fromTag: true,
            ...(trigger.sender ? { startedBy: { login: trigger.sender, via: 'github' as const } } : {}),
          },
          { ...trigger, deliveryId: delivery, at },
        );
        return { project, version, workflowId: outcome.handle.workflowId, how: outcome.how };
      }),
    );
  }

  async function answer(request: FastifyRequest<{ Body: string }>): Promise<Answer> {
    const body = typeof request.body === 'string' ? request.body : '';
    const signature = header(request, 'x-hub-signature-256');
    if (!signature) {
      return refusal(
        401,
        'unsigned delivery: no X-Hub-Signature-256 header',
        "set the webhook's secret on GitHub to the gateway's (Settings → Webhooks → Secret); nothing was started",
      );
    }
    if (!(await verified(body, signature))) {
      return refusal(
        401,
        "X-Hub-Signature-256 does not match the payload under the gateway's webhook secret",
        "give the webhook on GitHub the same secret as the gateway's --webhook-secret-env/--webhook-secret-file; nothing was started",
      );
    }
    const contentType = header(request, 'content-type') ?? '';
    if (!/^application\/json\b/i.test(contentType)) {
      return refusal(
        415,
        `content type ${contentType || '(none)'}: the gateway reads JSON deliveries only`,
        'set the webhook\'s "Content type" on GitHub to application/json',
      );
    }
    const delivery = header(request, 'x-github-delivery');
    const event = header(request, 'x-github-event');
    if (!delivery || !event) {
      return refusal(
        400,
        `missing ${!delivery ? 'X-GitHub-Delivery' : 'X-GitHub-Event'} header`,
        'send deliveries as GitHub does, with X-GitHub-Event and X-GitHub-Delivery',
      );
    }
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return refusal(400, 'the payload is not JSON', 'send the event as GitHub does, a JSON object');
    }
    const ignore = (ignored: string): Answer => ({ status: 200, body: { delivery, ignored } });
    const invalid = (error: z.ZodError) =>
      refusal(
        400,
        `${event} payload refused: ${issueLines(error.issues, '(payload)').join('; ')}`,
        `send the ${event} event as GitHub does`,
      );

    if (event === 'issue_comment' && deps.issueComment) return deps.issueComment(delivery, payload);
    if (event === 'ping') return ignore('ping: the hook reaches the gateway; nothing to start');
    if (event === 'create') return ignore('create events start nothing: the push event of the same tag does');
    if (event === 'push') {
      const parsed = PushPayload.safeParse(payload);
      if (!parsed.success) return invalid(parsed.error);
      const push = parsed.data;
      if (!push.ref.startsWith('refs/tags/'))
        return ignore(`push to ${push.ref} starts nothing: only a release tag does`);
      const tag = push.ref.slice('refs/tags/'.length);
      if (push.deleted) return ignore(`tag ${tag} was deleted: that starts nothing`);
      const routing = deps.routes.forTagPush(push.repository.full_name, tag);
      if ('ignored' in routing) return ignore(routing.ignored);
      return started(
        delivery,
        await start(delivery, routing.releases, {
          via: 'github',
          event: 'push',
          tag,
          ...(push.sender ? { sender: push.sender.login } : {}),
        }),
      );
    }
    if (event === 'release') {
      const parsed = ReleasePayload.safeParse(payload);
      if (!parsed.success) return invalid(parsed.error);
      const { action, release, repository: repo, sender: who } = parsed.data;
      if (action !== 'published') return ignore(`release ${action} starts nothing: only published does`);
      const routing = deps.routes.forPublishedRelease(repo.full_name, release.tag_name);
      if ('ignored' in routing) return ignore(routing.ignored);
      return started(
        delivery,
        await start(delivery, routing.releases, {
          via: 'github',
          event: 'release',
          tag: release.tag_name,
          release: { id: release.id, url: release.html_url },
          ...(who ? { sender: who.login } : {}),
        }),
      );
    }
    return ignore(`${event} events start nothing: only a release tag's push and a published release do`);
  }

  return async function plugin(app: FastifyInstance): Promise<void> {
    // The signature covers the bytes as sent: keep the body as text, whatever its type, and parse it only once verified.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: maxPayload }, (_request, body, done) =>
      done(null, body),
    );
    app.post<{ Body: string }>('/github/webhooks', { bodyLimit: maxPayload }, async (request, reply) => {
      let result: Answer;
      try {
        result = await answer(request);
      } catch (error) {
        // Temporal is down or refused: GitHub marks the delivery failed, and "Redeliver" sends it again later.
        const message = error instanceof Error ? error.message : String(error);
        request.log.error({ delivery: header(request, 'x-github-delivery') }, message);
        result = refusal(
          503,
          `the release could not be started: ${message}`,
          'once Temporal answers (GET /readyz), redeliver the delivery from the webhook\'s "Recent Deliveries" on GitHub',
        );
      }
      logDelivery(request, result);
      await auditDelivery(request, result, deps.audit);
      return send(reply, result);
    });
  };
}

function started(delivery: string, releases: AnsweredRelease[]): Answer {
  const fresh = releases.filter((release) => release.how === 'started' || release.how === 'attached');
  if (fresh.length > 0) return { status: 202, body: { delivery, releases } };
  const why = releases
    .map((release) =>
      release.how === 'completed'
        ? `${release.project} ${release.version} is released already`
        : `this delivery reached ${release.workflowId} before, in a run that has ended`,
    )
    .join('; ');
  return { status: 200, body: { delivery, releases, ignored: `${why}; nothing was started` } };
}

function logDelivery(request: FastifyRequest, result: Answer): void {
  // The delivery id and event name only: never headers (the signature) or the payload.
  request.log.info(
    {
      delivery: header(request, 'x-github-delivery'),
      event: header(request, 'x-github-event'),
      status: result.status,
      ...('releases' in result.body ? { releases: result.body.releases } : {}),
      ...('ignored' in result.body ? { ignored: result.body.ignored } : {}),
      ...('error' in result.body ? { refused: result.body.error } : {}),
    },
    'github delivery',
  );
}

/** A delivery as its audit record names it, by its headers: also for one refused before its body was read. */
export function deliveryOf(request: FastifyRequest): Pick<AuditEntry, 'via' | 'operation'> {
  const delivery = header(request, 'x-github-delivery');
  const event = header(request, 'x-github-event');
  return {
    via: { kind: 'webhook', ...(delivery ? { delivery } : {}), ...(event ? { event } : {}) },
    operation: `webhook ${event ?? '(no event)'}`,
  };
}

/** The delivery in the audit trail: its id and event, the sender it names, and the gateway's answer; never the payload. */
async function auditDelivery(request: FastifyRequest<{ Body: string }>, result: Answer, audit: WebhookDeps['audit']) {
  if (!audit) return;
  const body = result.body as { error?: unknown; releases?: AnsweredRelease[]; ignored?: unknown };
  const refused = typeof body.error === 'string';
  let sender: string | undefined;
  const project = body.releases?.[0]?.project;
  if (!refused) {
    try {
      const parsed = JSON.parse(typeof request.body === 'string' ? request.body : '{}') as {
        sender?: { login?: unknown };
      };
      sender = typeof parsed.sender?.login === 'string' ? parsed.sender.login : undefined;
    } catch {
      sender = undefined;
    }
  }
  try {
    await audit({
      // A refused signature proves nothing about who sent it.
      actor: {
        auth: refused && result.status === 401 ? 'none' : 'webhook-signature',
        ...(sender ? { login: sender } : {}),
      },
      ...deliveryOf(request),
      ...(project ? { project } : {}),
      inputs: {},
      decision: refused ? 'refused' : 'accepted',
      status: result.status,
      ...(refused ? { reason: String(body.error) } : typeof body.ignored === 'string' ? { reason: body.ignored } : {}),
      ...(body.releases?.[0] ? { workflow: { id: body.releases[0].workflowId, how: body.releases[0].how } } : {}),
    });
  } catch (error) {
    request.log.error(
      { delivery: header(request, 'x-github-delivery') },
      `the delivery's audit record was not stored: ${(error as Error).message}`,
    );
  }
}

function send(reply: FastifyReply, result: Answer): FastifyReply {
  return reply.code(result.status).send(result.body);
}
