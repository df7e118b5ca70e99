/**
 * `POST /api/releases/:project/:version/approve`, body `{"digest": "<sha256>"}`: a person approves a release's digest
 * set, by the same decision as dispatch's approve. In this order, so nobody unknown costs Temporal anything: who asks
 * (a bearer GitHub token, or the session cookie whose token the forge still accepts), then whether they may approve
 * (the project's `access.approve` rule or its default, by `authorize` as dispatch decides it), and only then the
 * release: their teams among the config's `approval.approvers.teams`, asked with the gateway's token as dispatch asks
 * them (forge-people.ts), and the workflow's `approve` update, which applies every approval rule (the digest, the
 * approver list, self-approval, a repeat) and refuses with the rule it broke.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ProjectConfig } from '@relforge/config';
import { authorize } from '@relforge/operations';
import {
  approvalRefusalStatus,
  ApprovalRefusedType,
  ApprovalRule,
  approveUpdate,
  releaseWorkflowId,
  statusQuery,
  type ApprovalRefusal,
  type ApprovalStatus,
  type ApproveInput,
} from '@relforge/release';
import type { AuditEntry } from '@relforge/audit';
import { ForgeUnreachable, type ForgeClient, type ForgePeople } from './forge-people.js';
import type { ProjectRoutes } from './projects.js';
import type { CookieSeal } from './session-cookie.js';
import { sessionEnded, sessionOf } from './sign-in.js';
import type { TemporalLink } from './temporal.js';

export interface ApprovalDeps {
  forge: ForgePeople;
  seal: CookieSeal;
  routes: ProjectRoutes;
  temporal: TemporalLink;
  /** The audit trail's writer (dispatch.ts): every approval, given or refused, is a record; absent without NATS. */
  record?: (entry: AuditEntry) => Promise<void>;
}

type Refusal = { status: number; body: { error: string; fix: string; rule?: string; approval?: ApprovalStatus } };

const refusal = (status: number, error: string, fix: string, rule?: string): Refusal => ({
  status,
  body: { error, fix, ...(rule ? { rule } : {}) },
});

/** The approver: a bearer token first (a script, `relforge approve`), else the browser's session. */
async function approverOf(
  request: FastifyRequest,
  seal: CookieSeal,
  forge: ForgeClient,
): Promise<{ login: string; via: 'token' | 'session' } | Refusal> {
  const header = request.headers.authorization ?? '';
  const bearer = /^(?:bearer|token)\s+(\S+)$/i.exec(header.trim())?.[1];
  if (bearer) {
    const login = await forge.loginOf(bearer);
    if (login) return { login, via: 'token' };
    return refusal(
      401,
      `the forge (${forge.apiUrl}) refused the token: unknown, expired or revoked`,
      'make a new GitHub token and send it (relforge approve reads RELFORGE_GITHUB_TOKEN), or sign in at /auth/github/login',
    );
  }
  const session = await sessionOf(request, seal, forge);
  if (session === 'ended') return refusal(401, sessionEnded.error, sessionEnded.fix);
  if (session !== 'none') return { login: session.login, via: 'session' };
  return refusal(
    401,
    'who approves? no Authorization: Bearer <GitHub token> header and no signed-in session',
    'send your GitHub token (relforge approve reads RELFORGE_GITHUB_TOKEN), or sign in at /auth/github/login',
  );
}

/** The release's digest set and approvals, beside a refusal that is about them, so the approver sees what to check. */
async function withDigestSet(handle: WorkflowHandle, answer: Refusal): Promise<Refusal> {
  const status = await handle.query(statusQuery).catch(() => undefined);
  return status?.approval && status.state === 'awaiting-approval'
    ? { ...answer, body: { ...answer.body, approval: status.approval } }
    : answer;
}

/** Teams are asked of the forge only for someone the approver list does not name already. */
async function approvalTeams(
  approval: ProjectConfig['approval'],
  login: string,
  forge: ForgeClient,
): Promise<string[]> {
  if (!approval || approval.approvers.teams.length === 0) return [];
  if (approval.approvers.users.some((user) => user.toLowerCase() === login.toLowerCase())) return [];
  return forge.teamsOf(login, approval.approvers.teams);
}

export function approvals(deps: ApprovalDeps) {
  async function answer(
    request: FastifyRequest<{ Params: { project: string; version: string } }>,
    who: { login?: string; auth?: 'github-token' | 'session'; rule?: string },
  ): Promise<Refusal | { status: 200; body: unknown }> {
    const { project, version } = request.params;
    const config = deps.routes.configOf(project);
    if (!config)
      return refusal(404, `no project ${project} on this gateway`, `approve one of ${deps.routes.projects.join(', ')}`);
    if (!deps.forge.hasGatewayToken)
      return refusal(
        503,
        'the gateway has no forge token, so it cannot check who may approve',
        'start the gateway with --forge-token-env or --forge-token-file (RELFORGE_GATEWAY_TOKEN_ENV)',
      );
    const forge = deps.forge.at(config.forge.apiUrl);
    const approver = await approverOf(request, deps.seal, forge);
    if ('status' in approver) return approver;
    who.login = approver.login;
    who.auth = approver.via === 'token' ? 'github-token' : 'session';
    const body = request.body as { digest?: unknown } | undefined;
    const digest = typeof body?.digest === 'string' ? body.digest : undefined;
    const given = { version, ...(digest === undefined ? {} : { digest }) };
    const decision = await authorize({
      operation: 'approve',
      access: config.access,
      setByCaller: Object.keys(given),
      given,
      login: approver.login,
      repository: config.source.repository,
      directory: forge,
    });
    who.rule = decision.rule;
    if (!decision.allowed) return refusal(403, decision.error, decision.fix, decision.rule);

    const client = await deps.temporal.client();
    const handle = client.workflow.getHandle(releaseWorkflowId(project, version));
    if (digest === undefined)
      return withDigestSet(
        handle,
        refusal(
          400,
          'digest: required, the sha256 of the release’s SHA256SUMS file (64 hex digits)',
          `send {"digest": "<sha256>"} naming the digest set you checked; this answer shows it while the release awaits approval`,
          ApprovalRule.Input,
        ),
      );
    const teams = await approvalTeams(config.approval, approver.login, forge);
    const input: ApproveInput = { digest, login: approver.login, teams, via: approver.via };
    try {
      const result = await handle.executeUpdate(approveUpdate, { args: [input] });
      request.log.info({ approval: { project, version, login: approver.login, digest } }, 'approved');
      return { status: 200, body: result };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        return refusal(
          409,
          `release ${project} ${version} is not awaiting approval: no run of it is open`,
          `start it (relforge release ${version}) or check \`relforge status ${project} ${version}\``,
          ApprovalRule.NotAwaiting,
        );
      const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === ApprovalRefusedType) {
        const refused = cause.details?.[0] as ApprovalRefusal | undefined;
        const ruleBroken = refused?.rule ?? ApprovalRule.Input;
        const answer = refusal(approvalRefusalStatus[ruleBroken] ?? 400, cause.message, refused?.fix ?? '', ruleBroken);
        return ruleBroken === ApprovalRule.Digest ? withDigestSet(handle, answer) : answer;
      }
      throw error;
    }
  }

  return async (app: FastifyInstance) => {
    app.post<{ Params: { project: string; version: string } }>(
      '/api/releases/:project/:version/approve',
      async (request, reply: FastifyReply) => {
        let result: Refusal | { status: 200; body: unknown };
        const who: { login?: string; auth?: 'github-token' | 'session'; rule?: string } = {};
        try {
          result = await answer(request, who);
        } catch (error) {
          if (!(error instanceof ForgeUnreachable)) throw error;
          result = refusal(503, error.message, error.fix);
          delete who.rule;
        }
        const { project, version } = request.params;
        const digest = (request.body as { digest?: unknown } | undefined)?.digest;
        const body = result.body as { rule?: string; error?: string };
        // Accepted or refused, with the rule that decided: the access rule as dispatch records it, or the approval rule
        // the release refused by. The token and the cookie never (the login stands for them).
        const rule = body.rule && body.rule !== who.rule ? `approval.${body.rule}` : who.rule;
        await deps.record?.({
          actor: { auth: who.auth ?? 'none', ...(who.login ? { login: who.login } : {}) },
          via: { kind: who.auth === 'session' ? 'board' : 'dispatch' },
          operation: 'approve',
          project,
          inputs: { version, ...(typeof digest === 'string' ? { digest } : {}) },
          decision: result.status === 200 ? 'accepted' : 'refused',
          ...(rule ? { rule } : {}),
          ...(result.status !== 200 && body.error ? { reason: body.error } : {}),
          status: result.status,
          workflow: { id: releaseWorkflowId(project, version) },
        });
        // Refusals are logged with the rule, never the token or the cookie.
        if (result.status !== 200)
          request.log.info({ approval: request.params, refused: result.body }, 'approval refused');
        return reply.code(result.status).send(result.body);
      },
    );
  };
}
