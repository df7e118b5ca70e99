/**
 * The gateway's HTTP service (Fastify): the one way in for people and for GitHub. Each way in is a plugin of its own,
 * encapsulated with its own body parsing: GitHub's webhooks (tag pushes, published releases, issue comments), the
 * dispatch and audit API, the status board with its WebSocket, signing in with GitHub and approvals, all on the same
 * server, the same Temporal client and the same health and readiness endpoints.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { JetStreamEventLog } from '@relforge/release-events/jetstream';
import { board } from './board.js';
import { closeSilentConnections, connectionTimeouts } from './connection-timeouts.js';
import {
  ClientLimits,
  defaultRequestsPerMinute,
  defaultSocketsPerClient,
  limitRequests,
  type ClientLimitSettings,
} from './client-limits.js';
import { approvals } from './approvals.js';
import type { ForgePeople } from './forge-people.js';
import { githubWebhooks } from './github-webhooks.js';
import { signIn, type SignInDeps } from './sign-in.js';
import type { AuditLog } from '@relforge/audit';
import { AuditWriter } from './audit-writer.js';
import { answerRefusals } from './refusals.js';
import { Dispatcher, dispatchApi } from './dispatch.js';
import { issueComments } from './issue-comments.js';
import type { ProjectRoutes } from './projects.js';
import type { TemporalLink } from './temporal.js';

export interface GatewayDeps {
  routes: ProjectRoutes;
  temporal: TemporalLink;
  webhookSecret: string;
  /** The release events' log (JetStream), for the board; undefined when the gateway has no NATS. */
  events?: JetStreamEventLog;
  temporalUiUrl?: string;
  /** Signing in: the forge at --github-api-url, the cookie seal, and the OAuth app (sign-in.ts, approvals.ts). */
  people: SignInDeps;
  /** The audit trail (a JetStream stream); without it dispatch is refused and deliveries go unrecorded. */
  audit?: AuditLog;
  /** The forge's people for every door, with the gateway's own token for roles, teams and issue-comment replies. */
  forge: ForgePeople;
  /** Where people reach the board, for links in replies. */
  publicUrl?: string;
  /** Fastify's logger (pino) settings; false for none. */
  logger?: boolean | { level: string };
  /** What one client address may hold (client-limits.ts); the defaults there unless told. */
  limits?: ClientLimitSettings;
  /** The proxies whose X-Forwarded-For names the client; none unless told. */
  trustProxy?: string[];
}

function withoutQuery(request: { method: string; url: string; ip?: string }) {
  return { method: request.method, url: request.url.replace(/\?.*$/, ''), remoteAddress: request.ip };
}

export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const logger = deps.logger ?? true;
  // Paths without their query: the OAuth callback's carries a code that buys a token.
  const app = Fastify({
    logger: logger === false ? false : { ...(logger === true ? {} : logger), serializers: { req: withoutQuery } },
    ...connectionTimeouts,
    ...(deps.trustProxy?.length ? { trustProxy: deps.trustProxy } : {}),
  });
  const trail = refuseInOnePlace(app, deps.audit);
  const limits = new ClientLimits(
    deps.limits ?? { requestsPerMinute: defaultRequestsPerMinute, socketsPerClient: defaultSocketsPerClient },
  );
  closeSilentConnections(app);
  limitRequests(app, limits);
  // Up: the process serves HTTP. Nothing else is checked, so a supervisor restarts only a gateway that hangs.
  app.get('/healthz', async () => ({ status: 'up' }));
  // Ready: Temporal answers for the namespace, so a delivery now would start its release.
  app.get('/readyz', async (_request, reply) => {
    const { address, namespace } = deps.temporal.settings;
    try {
      await deps.temporal.check();
      return { status: 'ready', temporal: { address, namespace }, projects: deps.routes.projects };
    } catch (error) {
      return reply.code(503).send({
        status: 'not ready',
        temporal: { address, namespace },
        error: error instanceof Error ? error.message : String(error),
      });
    }
  });
  const dispatcher = new Dispatcher({
    routes: deps.routes,
    temporal: deps.temporal,
    audit: trail,
    forge: deps.forge,
  });
  const onIssueComment = issueComments({
    dispatcher,
    routes: deps.routes,
    publicUrl: deps.publicUrl ?? '',
    log: (message) => app.log.error(message),
  });
  await app.register(
    githubWebhooks({
      secret: deps.webhookSecret,
      routes: deps.routes,
      temporal: deps.temporal,
      issueComment: onIssueComment,
      ...(deps.audit ? { audit: (entry) => dispatcher.record(entry) } : {}),
    }),
  );
  await app.register(dispatchApi(dispatcher, deps.audit));
  await app.register(
    board({ temporal: deps.temporal, events: deps.events, temporalUiUrl: deps.temporalUiUrl, limits }),
  );
  await app.register(signIn(deps.people));
  await app.register(
    approvals({
      forge: deps.forge,
      seal: deps.people.seal,
      routes: deps.routes,
      temporal: deps.temporal,
      ...(deps.audit ? { record: (entry) => dispatcher.record(entry) } : {}),
    }),
  );
  return app;
}

/**
 * Every refusal through one path, the framework's own too (refusals.ts), each audited through one writer that bounds
 * the records of unknown callers (audit-writer.ts). Before any route, so that every plugin inherits it.
 */
function refuseInOnePlace(app: FastifyInstance, audit: AuditLog | undefined): AuditWriter | undefined {
  const trail = audit ? new AuditWriter(audit, (message) => app.log.error(message)) : undefined;
  // Bodies are JSON (the webhooks read theirs as text, by their own parser): any other type is refused 415.
  app.removeContentTypeParser('text/plain');
  answerRefusals(app, trail);
  // A burst's count is written before the trail closes (main.ts closes the app first).
  if (trail) app.addHook('onClose', () => trail.flush());
  return trail;
}
