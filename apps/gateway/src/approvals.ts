/**
 * `POST /api/releases/:project/:version/approve`, body `{"digest": "<sha256>"}`: a person approves a release's digest
 * set. The approver is the login behind a bearer GitHub token or the session cookie, asked of the forge; their teams
 * among the config's `approval.approvers.teams` are checked there too. The workflow's `approve` update then applies
 * every rule (the digest, the approver list, self-approval, a repeat) and refuses with the rule it broke.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
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
import { IdentityError, type ForgeIdentity } from './forge-identity.js';
import type { ProjectRoutes } from './projects.js';
import type { CookieSeal } from './session-cookie.js';
import { sessionOf } from './sign-in.js';
import type { TemporalLink } from './temporal.js';

export interface ApprovalDeps {
  identity: ForgeIdentity;
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
  deps: ApprovalDeps,
): Promise<{ login: string; token: string; via: 'token' | 'session' } | Refusal> {
  const header = request.headers.authorization ?? '';
  const bearer = /^(?:bearer|token)\s+(\S+)$/i.exec(header.trim())?.[1];
  if (bearer) return { login: await deps.identity.loginOf(bearer), token: bearer, via: 'token' };
  const session = sessionOf(request, deps.seal);
  if (session) return { ...session, via: 'session' };
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

export function approvals(deps: ApprovalDeps) {
  async function answer(
    request: FastifyRequest<{ Params: { project: string; version: string } }>,
    who: { login?: string; auth?: 'github-token' | 'session' },
  ): Promise<Refusal | { status: 200; body: unknown }> {
    const { project, version } = request.params;
    const rule = deps.routes.approvalOf(project);
    if (rule === undefined)
      return refusal(404, `no project ${project} on this gateway`, `approve one of ${deps.routes.projects.join(', ')}`);
    const client = await deps.temporal.client();
    const handle = client.workflow.getHandle(releaseWorkflowId(project, version));
    const body = request.body as { digest?: unknown } | undefined;
    if (typeof body?.digest !== 'string')
      return withDigestSet(
        handle,
        refusal(
          400,
          'digest: required, the sha256 of the release’s SHA256SUMS file (64 hex digits)',
          `send {"digest": "<sha256>"} naming the digest set you checked; this answer shows it while the release awaits approval`,
          ApprovalRule.Input,
        ),
      );
    const approver = await approverOf(request, deps);
    if ('status' in approver) return approver;
    who.login = approver.login;
    who.auth = approver.via === 'token' ? 'github-token' : 'session';
    // Teams are asked of the forge only for someone the user list does not name already.
    const listed = rule?.approvers.users.some((user) => user.toLowerCase() === approver.login.toLowerCase());
    const teams =
      rule && !listed && rule.approvers.teams.length > 0
        ? await deps.identity.teamsOf(approver.token, approver.login, rule.approvers.teams)
        : [];
    const input: ApproveInput = { digest: body.digest, login: approver.login, teams, via: approver.via };
    try {
      const result = await handle.executeUpdate(approveUpdate, { args: [input] });
      request.log.info({ approval: { project, version, login: approver.login, digest: body.digest } }, 'approved');
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
        const who: { login?: string; auth?: 'github-token' | 'session' } = {};
        try {
          result = await answer(request, who);
        } catch (error) {
          if (!(error instanceof IdentityError)) throw error;
          result = refusal(error.status, error.message, error.fix);
        }
        const { project, version } = request.params;
        const digest = (request.body as { digest?: unknown } | undefined)?.digest;
        const body = result.body as { rule?: string; error?: string };
        // Accepted or refused, with the rule; the token and the cookie never (the login stands for them).
        await deps.record?.({
          actor: { auth: who.auth ?? 'none', ...(who.login ? { login: who.login } : {}) },
          via: { kind: who.auth === 'session' ? 'board' : 'dispatch' },
          operation: 'approve',
          project,
          inputs: { version, ...(typeof digest === 'string' ? { digest } : {}) },
          decision: result.status === 200 ? 'accepted' : 'refused',
          ...(body.rule ? { rule: `approval.${body.rule}` } : {}),
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
