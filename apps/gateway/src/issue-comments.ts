/**
 * The issue-comment trigger: a comment `/relforge <operation> [version] [key=value …]` on an issue of a project's
 * source repository dispatches that operation as the comment's author, through the same inputs and access rules as
 * `POST /api/dispatch`. The delivery's signature proves GitHub sent it, so its author is who asks. The gateway answers
 * in the thread with its own token: the outcome and the board's link, or the refusal and its fix.
 */
import { z } from 'zod';
import type { Dispatcher } from './dispatch.js';
import type { ProjectRoutes } from './projects.js';

const IssueCommentPayload = z.object({
  action: z.string(),
  issue: z.object({ number: z.number().int().positive() }),
  comment: z.object({
    body: z.string().nullable(),
    html_url: z.string(),
    user: z.object({ login: z.string() }).nullable(),
  }),
  repository: z.object({ full_name: z.string() }),
});

export interface CommentAnswer {
  status: 200 | 202 | 400;
  body: Record<string, unknown>;
}

const command = /^\/relforge\s+(\S+)(.*)$/m;

/** `version` bare or `key=value` words; a value in double quotes may hold spaces. */
function words(text: string): { positional: string[]; named: Record<string, string> } {
  const positional: string[] = [];
  const named: Record<string, string> = {};
  for (const match of text.matchAll(/([A-Za-z][\w-]*)="([^"]*)"|([A-Za-z][\w-]*)=(\S*)|(\S+)/g)) {
    if (match[1] !== undefined) named[match[1]] = match[2] ?? '';
    else if (match[3] !== undefined) named[match[3]] = match[4] ?? '';
    else if (match[5] !== undefined) positional.push(match[5]);
  }
  return { positional, named };
}

export function issueComments(deps: {
  dispatcher: Dispatcher;
  routes: ProjectRoutes;
  publicUrl: string;
  log: (message: string) => void;
}) {
  return async function onIssueComment(delivery: string, payload: unknown): Promise<CommentAnswer> {
    const parsed = IssueCommentPayload.safeParse(payload);
    if (!parsed.success)
      return {
        status: 400,
        body: {
          error: 'issue_comment payload refused: expected issue, comment and repository',
          fix: 'send the issue_comment event as GitHub does',
        },
      };
    const { action, issue, comment, repository } = parsed.data;
    if (action !== 'created')
      return {
        status: 200,
        body: { delivery, ignored: `issue_comment ${action} starts nothing: only a new comment does` },
      };
    const found = command.exec(comment.body ?? '');
    if (!found) return { status: 200, body: { delivery, ignored: 'the comment is no /relforge command' } };
    const projects = deps.routes.fromRepository(repository.full_name);
    if (projects.length === 0)
      return { status: 200, body: { delivery, ignored: `no project is built from ${repository.full_name}` } };
    const { positional, named } = words(found[2] ?? '');
    const { project: projectNamed, ...inputs } = named;
    const [version, ...extra] = positional;
    const project = projectNamed ?? (projects.length === 1 ? projects[0]?.project : undefined);
    const login = comment.user?.login ?? '';
    const answer =
      extra.length > 0
        ? {
            status: 422 as const,
            body: {
              error: `unexpected ${extra.map((word) => JSON.stringify(word)).join(', ')}: give inputs as key=value`,
              fix: 'write /relforge <operation> <version> key=value …',
            },
          }
        : await deps.dispatcher.dispatch({
            operation: found[1] ?? '',
            project: project ?? projects.map((config) => config.project).join('|'),
            inputs: { ...(version !== undefined ? { version } : {}), ...inputs },
            caller: { login, auth: 'webhook-signature' },
            via: { kind: 'issue-comment', delivery, comment: comment.html_url },
          });
    const board = `${deps.publicUrl}/?release=${encodeURIComponent(`${project ?? ''}/${version ?? ''}`)}`;
    const reply =
      'workflowId' in answer.body
        ? `@${login} ${answer.body.message} (workflow \`${answer.body.workflowId}\`).\n\nFollow it on the board: ${board}`
        : `@${login} refused: ${answer.body.error}\n\nfix: ${answer.body.fix}`;
    const config = project ? deps.routes.configOf(project) : undefined;
    const directory = deps.dispatcher.directoryFor((config ?? projects[0])?.forge.apiUrl ?? '');
    await directory
      ?.comment(repository.full_name, issue.number, reply)
      .catch((error: unknown) =>
        deps.log(`reply on ${repository.full_name}#${issue.number} failed: ${(error as Error).message}`),
      );
    return { status: 'workflowId' in answer.body ? 202 : 200, body: { delivery, dispatch: answer.body } };
  };
}
