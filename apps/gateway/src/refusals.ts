/**
 * The refusals Fastify makes itself, before a route's handler runs (a body over the route's limit, a content type the
 * route does not read, a body that is not JSON, no such route, a method the route does not take), answered as the
 * gateway's own are: `{error, fix}` with the status. Those on a route that runs an operation (a webhook delivery, a
 * dispatch, an approval) go into the audit trail through the gateway's one writer, as refusals of an unknown caller,
 * since no body was read and so nobody was authenticated. Requests for no route are answered but not audited: they
 * asked for no operation, and the internet's scanners would otherwise fill the trail.
 */
import type { AuditEntry } from '@relforge/audit';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clip, type AuditWriter } from './audit-writer.js';
import { deliveryOf } from './github-webhooks.js';

interface Refusal {
  status: number;
  error: string;
  fix: string;
}

/** What a route that runs an operation takes as its body, and how its refusals are recorded. */
interface OperationRoute {
  body: string;
  record(request: FastifyRequest): Pick<AuditEntry, 'via' | 'operation' | 'project' | 'inputs'>;
}

const param = (request: FastifyRequest, name: string): string => {
  const params = request.params as Record<string, unknown> | undefined;
  const value = params && Object.hasOwn(params, name) ? params[name] : undefined;
  return typeof value === 'string' ? value : '';
};

/** By Fastify's route pattern. */
const operationRoutes = new Map<string, OperationRoute>([
  [
    '/github/webhooks',
    {
      body: 'deliveries as GitHub sends them: JSON of at most 25 MB; nothing was started',
      record: (request) => ({ ...deliveryOf(request), inputs: {} }),
    },
  ],
  [
    '/api/dispatch/:operation',
    {
      body: '{"project": "hello", "inputs": {"version": "1.5.0"}} as application/json',
      record: (request) => ({ via: { kind: 'dispatch' }, operation: param(request, 'operation'), inputs: {} }),
    },
  ],
  [
    '/api/releases/:project/:version/approve',
    {
      body: '{"digest": "<sha256>"} as application/json',
      record: (request) => ({
        via: { kind: 'dispatch' },
        operation: 'approve',
        project: param(request, 'project'),
        inputs: { version: param(request, 'version') },
      }),
    },
  ],
]);

const size = (bytes: number) =>
  bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB (${bytes} bytes)` : `${bytes} bytes`;

/** The path as asked for, without the query. */
const pathOf = (request: FastifyRequest) => request.url.replace(/\?.*$/, '');

/** What Fastify refused, in the gateway's words; undefined for a failure that is no refusal (a 5xx, a bug). */
function refusalOf(error: FastifyError, request: FastifyRequest): Refusal | undefined {
  const pattern = request.routeOptions.url;
  const body = (pattern && operationRoutes.get(pattern)?.body) ?? 'the body this route documents';
  const route = `${request.method} ${pattern ?? clip(pathOf(request))}`;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        error: `the body is over the limit of ${size(request.routeOptions.bodyLimit)} for ${route}`,
        fix: `send ${body}`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = request.headers['content-type'];
      return {
        status: 415,
        error: `content type ${type ? clip(type) : '(none)'}: ${route} reads application/json only`,
        fix: `send ${body}`,
      };
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // Never the parser's message: it quotes the body.
      return { status: 400, error: 'the body is not JSON', fix: `send ${body}` };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        error: 'the body is not as long as its Content-Length header says',
        fix: `send ${body}, with its true length`,
      };
  }
  const status = error.statusCode ?? 500;
  if (status >= 500 || status < 400) return undefined;
  return { status, error: clip(error.message), fix: `send ${body} to ${route}` };
}

/** The patterns routes were added with, to tell a path no route serves from a method its route does not take. */
class RoutePatterns {
  readonly #routes: { methods: string[]; url: string; pattern: RegExp }[] = [];

  add(method: string | string[], url: string): void {
    const pattern = url
      .split('/')
      .map((segment) =>
        segment.startsWith(':') ? '[^/]+' : segment === '*' ? '.*' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('/');
    this.#routes.push({ methods: [method].flat(), url, pattern: new RegExp(`^${pattern}$`) });
  }

  methodsFor(path: string): string[] {
    const methods = this.#routes.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods);
    return [...new Set(methods)].sort();
  }

  /** The API's routes, for a caller who got a path wrong: the board's files are not worth listing one by one. */
  get api(): string[] {
    return this.#routes
      .filter((route) => /^\/(?:api|github|auth)\//.test(route.url))
      .flatMap((route) =>
        route.methods.filter((method) => method !== 'HEAD').map((method) => `${method} ${route.url}`),
      );
  }
}

/**
 * Answers every refusal Fastify makes with `{error, fix}`, auditing those on an operation's route. Call it before any
 * route is added: the handlers are inherited by the plugins registered after, and the routes are learnt as added.
 */
export function answerRefusals(app: FastifyInstance, trail: AuditWriter | undefined): void {
  const routes = new RoutePatterns();
  app.addHook('onRoute', (route) => routes.add(route.method, route.url));

  app.setErrorHandler(async (error: FastifyError, request, reply: FastifyReply) => {
    const refusal = refusalOf(error, request);
    if (!refusal) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({
        error: `the gateway failed on this request (request id ${request.id})`,
        fix: 'try again; if it fails again, report it with the request id, which the gateway log shows with the cause',
      });
    }
    const pattern = request.routeOptions.url;
    const recorded = pattern === undefined ? undefined : operationRoutes.get(pattern)?.record(request);
    // With the delivery's id and event, for a webhook: what GitHub's "Recent Deliveries" shows beside it.
    request.log.info({ status: refusal.status, refused: refusal.error, ...(recorded?.via ?? {}) }, 'refused');
    if (recorded && trail) {
      try {
        await trail.append({
          ...recorded,
          actor: { auth: 'none' },
          decision: 'refused',
          reason: refusal.error,
          status: refusal.status,
        });
      } catch (failed) {
        request.log.error(`the refusal's audit record was not stored: ${(failed as Error).message}`);
      }
    }
    return reply.code(refusal.status).send({ error: refusal.error, fix: refusal.fix });
  });

  app.setNotFoundHandler(async (request, reply) => {
    const path = clip(pathOf(request));
    const methods = routes.methodsFor(pathOf(request));
    if (methods.length > 0)
      return reply
        .code(405)
        .header('allow', methods.join(', '))
        .send({
          error: `${request.method} ${path}: this route takes ${methods.join(' or ')}`,
          fix: `send ${methods.filter((method) => method !== 'HEAD').join(' or ')} ${path}`,
        });
    return reply.code(404).send({
      error: `no route ${request.method} ${path} on this gateway`,
      fix: `check the URL: the gateway serves the board at / and ${routes.api.join(', ')}`,
    });
  });
}
