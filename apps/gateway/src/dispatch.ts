/**
 * Dispatch: a person runs a named operation (release, re-release, resume, abort, approve, a train's start, next and
 * promote) on a project through the gateway, as `POST /api/dispatch/:operation` with a GitHub token, or as an issue
 * comment `/relforge <operation> …`. One path for both: the operation and project are looked up, the caller is known
 * by the forge, the inputs are read by the operation's schema, the project's access rule decides, and the decision is
 * in the audit trail before anything runs.
 * Every refusal is `{error, fix, rule?}` with its status code, and is audited too. `GET /api/operations` lists the
 * operations with their inputs; `GET /api/audit` reads the trail.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEntry, AuditLog, AuditRecord } from '@relforge/audit';
import {
  ApprovalRefused,
  authorize,
  describeOperation,
  OperationConflict,
  operationNamed,
  operations,
  parseInputs,
} from '@relforge/operations';
import { releaseWorkflowId } from '@relforge/release';
import type { AuditWriter } from './audit-writer.js';
import { ForgeUnreachable, type ForgeClient, type ForgePeople } from './forge-people.js';
import type { ProjectRoutes } from './projects.js';
import type { TemporalLink } from './temporal.js';

export interface DispatchDeps {
  routes: ProjectRoutes;
  temporal: TemporalLink;
  /** The trail's writer, which bounds the refusals of unknown callers; undefined without NATS. */
  audit: AuditWriter | undefined;
  /** The forge's people, asked with the gateway's own token: without it nobody's role can be looked up, so dispatch is refused. */
  forge: ForgePeople;
}

export interface Caller {
  /** Known for an issue comment (the signed delivery names its author); learnt from the token for the API. */
  login?: string;
  token?: string;
  auth: AuditRecord['actor']['auth'];
}

export interface DispatchRequest {
  operation: string;
  project: unknown;
  inputs: unknown;
  caller: Caller;
  via: AuditRecord['via'];
}

export type DispatchAnswer =
  | {
      status: 202 | 200;
      body: { operation: string; project: string; workflowId: string; how: string; message: string };
    }
  | { status: 400 | 401 | 403 | 404 | 409 | 422 | 503; body: { error: string; fix: string; rule?: string } };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export class Dispatcher {
  constructor(private readonly deps: DispatchDeps) {}

  /** Every project this gateway serves. */
  get projects(): string[] {
    return this.deps.routes.projects;
  }

  directoryFor(apiUrl: string): ForgeClient | undefined {
    return this.deps.forge.hasGatewayToken ? this.deps.forge.at(apiUrl) : undefined;
  }

  async dispatch(request: DispatchRequest): Promise<DispatchAnswer> {
    // A token is no proof until the forge names its login: until then the caller is unknown (auth none).
    const entry: AuditEntry = {
      actor: request.caller.login ? { auth: request.caller.auth, login: request.caller.login } : { auth: 'none' },
      via: request.via,
      operation: request.operation,
      inputs: {},
      decision: 'refused',
    };
    const refuse = async (
      status: Extract<DispatchAnswer, { body: { error: string } }>['status'],
      error: string,
      fix: string,
      rule?: string,
    ): Promise<DispatchAnswer> => {
      const body = { error, fix, ...(rule ? { rule } : {}) };
      await this.record({ ...entry, reason: error, status, ...(rule ? { rule } : {}) });
      return { status, body };
    };
    if (!this.deps.audit)
      return {
        status: 503,
        body: {
          error: 'the gateway keeps no audit trail (no --nats-url), so it dispatches nothing',
          fix: 'start the gateway with --nats-url or RELFORGE_NATS_URL set to the NATS server with JetStream',
        },
      };
    const operation = operationNamed(request.operation);
    if (!operation)
      return refuse(
        404,
        `no operation ${JSON.stringify(request.operation)}; the operations are ${operations.map((each) => each.name).join(', ')}`,
        'see `relforge dispatch --list` or GET /api/operations',
      );
    if (typeof request.project !== 'string' || request.project === '')
      return refuse(
        400,
        'project: required',
        'give the project, e.g. --project hello (body {"project": "hello", "inputs": {…}})',
      );
    const config = this.deps.routes.configOf(request.project);
    if (!config)
      return refuse(
        404,
        `no project ${JSON.stringify(request.project)} on this gateway; it serves ${this.deps.routes.projects.join(', ')}`,
        'give one of those projects, or start the gateway with --config for this one',
      );
    // Filed under the project only once it is one this gateway serves: a made-up name makes no subject of its own.
    entry.project = request.project;
    const directory = this.directoryFor(config.forge.apiUrl);
    if (!directory)
      return refuse(
        503,
        'the gateway has no forge token, so it cannot check who may dispatch',
        'start the gateway with --forge-token-env or --forge-token-file (RELFORGE_GATEWAY_TOKEN_ENV)',
      );
    let login = request.caller.login;
    if (login === undefined) {
      if (!request.caller.token)
        return refuse(
          401,
          'no token: dispatch needs "Authorization: Bearer <GitHub token>"',
          'set RELFORGE_GITHUB_TOKEN to your GitHub token (or name the variable with --token-env)',
        );
      login = await directory.loginOf(request.caller.token);
      if (!login)
        return refuse(
          401,
          `the forge (${config.forge.apiUrl}) refused the token: unknown, expired or revoked`,
          'make a new GitHub token and set RELFORGE_GITHUB_TOKEN to it',
        );
      entry.actor = { auth: request.caller.auth, login };
    }
    if (!isRecord(request.inputs ?? {}))
      return refuse(
        400,
        'inputs: expected an object of input names to values',
        'send {"project": …, "inputs": {"version": "1.5.0"}}',
      );
    const parsed = parseInputs(operation, (request.inputs ?? {}) as Record<string, unknown>);
    if (!parsed.ok) return refuse(422, parsed.error, parsed.fix);
    entry.inputs = parsed.given;
    const repository = config.source.repository;
    const decision = await authorize({
      operation: operation.name,
      access: config.access,
      setByCaller: parsed.setByCaller,
      given: parsed.given,
      login,
      repository,
      directory,
    });
    if (!decision.allowed) return refuse(403, decision.error, decision.fix, decision.rule);
    const version = typeof parsed.inputs['version'] === 'string' ? parsed.inputs['version'] : undefined;
    const workflowId =
      operation.workflowId?.(request.project, parsed.inputs) ??
      (version ? releaseWorkflowId(request.project, version) : undefined);
    // Recorded before it runs: an operation the trail cannot hold is not run.
    await this.record({
      ...entry,
      decision: 'accepted',
      rule: decision.rule,
      ...(workflowId ? { workflow: { id: workflowId } } : {}),
    });
    try {
      const client = await this.deps.temporal.client();
      // Team membership for the approval rule is asked with the gateway's token, as for the access rules above.
      const approvalTeams = operation.name === 'approve' ? (config.approval?.approvers.teams ?? []) : [];
      const teams: string[] = [];
      for (const team of approvalTeams) if (await directory.inTeam(team, login)) teams.push(team);
      const result = await operation.run({ client, project: request.project, login, teams }, parsed.inputs);
      return {
        status: result.how === 'completed' ? 200 : 202,
        body: { operation: operation.name, project: request.project, ...result },
      };
    } catch (error) {
      // The approval rule refused, not the access rule: answered and audited as the approve endpoint answers it.
      if (error instanceof ApprovalRefused)
        return refuse(error.status, error.message, error.fix, `approval.${error.rule}`);
      if (error instanceof OperationConflict) return refuse(409, error.message, error.fix, decision.rule);
      throw error;
    }
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.deps.audit?.append(entry);
  }

  /**
   * Whether a token may read the audit trail of `projects`: its login must hold maintain or admin on each one's source
   * repository, since the trail names who did what to their releases. The refusal says which repository and role.
   */
  async auditReader(
    token: string | undefined,
    projects: string[],
  ): Promise<
    { login: string } | { status: 401 | 403 | 404 | 503; body: { error: string; fix: string; rule?: string } }
  > {
    const configs = projects.map((project) => ({ project, config: this.deps.routes.configOf(project) }));
    const unknown = configs.find(({ config }) => !config);
    if (unknown)
      return {
        status: 404,
        body: {
          error: `no project ${JSON.stringify(unknown.project)} on this gateway; it serves ${this.deps.routes.projects.join(', ')}`,
          fix: 'give one of those projects',
        },
      };
    if (!token)
      return {
        status: 401,
        body: {
          error: 'no token: reading the audit trail needs "Authorization: Bearer <GitHub token>"',
          fix: "send a GitHub token of someone with maintain or admin on the project's source repository",
        },
      };
    let login: string | undefined;
    for (const { config } of configs) {
      if (!config) continue;
      const directory = this.directoryFor(config.forge.apiUrl);
      if (!directory)
        return {
          status: 503,
          body: {
            error: 'the gateway has no forge token, so it cannot check who may read the audit trail',
            fix: 'start the gateway with --forge-token-env or --forge-token-file (RELFORGE_GATEWAY_TOKEN_ENV)',
          },
        };
      login ??= await directory.loginOf(token);
      if (!login)
        return {
          status: 401,
          body: {
            error: `the forge (${config.forge.apiUrl}) refused the token: unknown, expired or revoked`,
            fix: 'make a new GitHub token and send it',
          },
        };
      const repository = config.source.repository;
      const role = await directory.roleOf(repository, login);
      if (role !== 'maintain' && role !== 'admin')
        return {
          status: 403,
          body: {
            error: `reading the audit trail of ${config.project} needs maintain on ${repository} (rule audit.read); you (${login}) have ${role ?? 'no role'}`,
            fix: `ask someone with maintain or admin on ${repository}`,
            rule: 'audit.read',
          },
        };
    }
    return { login: login ?? '' };
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

/** A failure to reach Temporal, the forge or NATS: nothing was started, and a retry once it answers may. */
function unavailable(error: unknown): DispatchAnswer {
  const message = error instanceof Error ? error.message : String(error);
  return {
    status: 503,
    body: {
      error: `${error instanceof ForgeUnreachable ? '' : 'not dispatched: '}${message}`,
      fix: 'try again once the gateway is ready (GET /readyz) and the forge and NATS answer; nothing was started',
    },
  };
}

export function dispatchApi(dispatcher: Dispatcher, audit: AuditLog | undefined) {
  return async function plugin(app: FastifyInstance): Promise<void> {
    // The body is read here, so that one that is not JSON is answered and audited like every other refusal.
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    app.get('/api/operations', async () => ({ operations: operations.map(describeOperation) }));

    app.post<{ Params: { operation: string }; Body: unknown }>('/api/dispatch/:operation', async (request, reply) => {
      let body: unknown = request.body;
      if (typeof body === 'string') {
        try {
          body = JSON.parse(String(body));
        } catch {
          await dispatcher.record({
            actor: { auth: 'none' },
            via: { kind: 'dispatch' },
            operation: request.params.operation,
            inputs: {},
            decision: 'refused',
            reason: 'the body is not JSON',
            status: 400,
          });
          return send(reply, {
            status: 400,
            body: {
              error: 'the body is not JSON',
              fix: 'send {"project": "hello", "inputs": {"version": "1.5.0"}} as application/json',
            },
          });
        }
      }
      const fields = isRecord(body) ? body : {};
      const token = bearer(request);
      try {
        const answer = await dispatcher.dispatch({
          operation: request.params.operation,
          project: fields['project'],
          inputs: fields['inputs'],
          caller: { auth: 'github-token', ...(token ? { token } : {}) },
          via: { kind: 'dispatch' },
        });
        return send(reply, answer);
      } catch (error) {
        request.log.error(
          { operation: request.params.operation },
          error instanceof Error ? error.message : String(error),
        );
        return send(reply, unavailable(error));
      }
    });

    app.get<{ Querystring: { project?: string; actor?: string; since?: string } }>(
      '/api/audit',
      async (request, reply) => {
        if (!audit)
          return reply.code(503).send({
            error: 'the gateway keeps no audit trail (no --nats-url)',
            fix: 'start the gateway with --nats-url or RELFORGE_NATS_URL',
          });
        const { project, actor, since } = request.query;
        let reader;
        try {
          reader = await dispatcher.auditReader(bearer(request), project ? [project] : dispatcher.projects);
        } catch (error) {
          return send(reply, unavailable(error));
        }
        if ('status' in reader) return send(reply, reader);
        const sinceDate = since === undefined ? undefined : new Date(since);
        if (sinceDate && Number.isNaN(sinceDate.getTime()))
          return reply.code(400).send({
            error: `since: ${JSON.stringify(since)} is not a time`,
            fix: 'give an ISO time, e.g. since=2026-12-01T00:00:00Z',
          });
        const records = await audit.read({
          ...(project ? { project } : {}),
          ...(actor ? { actor } : {}),
          ...(sinceDate ? { since: sinceDate } : {}),
        });
        return { records };
      },
    );
  };
}

function send(reply: FastifyReply, answer: DispatchAnswer): FastifyReply {
  return reply.code(answer.status).send(answer.body);
}
