/**
 * The gateway's HTTP service (Fastify): the one way in for people and for GitHub. Each way in is a plugin of its own,
 * encapsulated with its own body parsing: GitHub's webhooks now, the status board, its WebSocket and the dispatch API
 * later, beside them on the same server, the same Temporal client and the same health and readiness endpoints.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AuditLog } from '@relforge/audit';
import { Dispatcher, dispatchApi } from './dispatch.js';
import { githubWebhooks } from './github-webhooks.js';
import { issueComments } from './issue-comments.js';
import type { ProjectRoutes } from './projects.js';
import type { TemporalLink } from './temporal.js';

export interface GatewayDeps {
  routes: ProjectRoutes;
  temporal: TemporalLink;
  webhookSecret: string;
  /** The audit trail (a JetStream stream); without it dispatch is refused and deliveries go unrecorded. */
  audit?: AuditLog;
  /** The gateway's own forge token, for role lookups and issue-comment replies. */
  forgeToken?: string;
  /** Where people reach the board, for links in replies. */
  publicUrl?: string;
  /** Fastify's logger (pino) settings; false for none. */
  logger?: boolean | { level: string };
}

export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: deps.logger ?? true });
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
    audit: deps.audit,
    forgeToken: deps.forgeToken,
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
  return app;
}
