/**
 * The REST operations of people and issues: who a token is, a collaborator's role, a team membership, and issues
 * with comments. A comment created here is sent to the repository's hooks as `issue_comment` created, as GitHub does.
 */
import type { ApiDeps, ApiRequest, Reply } from './api-types.js';
import {
  commentJson,
  issueCommentPayload,
  issueJson,
  legacyPermission,
  notAUser,
  permissionsOf,
  publicUser,
  roleOn,
} from './people.js';
import type { StoredComment, StoredIssue } from './store.js';
import { basicError, githubTime, simpleUser, validationFailed, type RepoFacts } from './shapes.js';

export type PeopleOperationId =
  | 'users/get-authenticated'
  | 'repos/get-collaborator-permission-level'
  | 'teams/get-membership-for-user-in-org'
  | 'issues/create'
  | 'issues/get'
  | 'issues/create-comment'
  | 'issues/list-comments';

type Handler = (request: ApiRequest) => Promise<Reply>;

export function peopleApi(
  deps: ApiDeps,
  repoOf: (params: Record<string, string>) => Promise<RepoFacts | undefined>,
): Record<PeopleOperationId, Handler> {
  const { site, store } = deps;
  const knownUser = (name: string) => name === 'relforge-bot' || store.data.users.some((user) => user.login === name);
  const issueIn = (repo: string, number: string | undefined) =>
    store.data.issues.find((issue) => issue.repo === repo && String(issue.number) === number);
  const text = (body: unknown, field: string) => {
    const value = (body as Record<string, unknown> | undefined)?.[field];
    return typeof value === 'string' ? value : undefined;
  };

  return {
    'users/get-authenticated': async ({ caller }) => {
      const created = store.data.users.find((user) => user.login === caller?.login)?.createdAt ?? githubTime();
      // The authenticated user's own view, as GitHub answers a token for itself: the private-user schema.
      return {
        status: 200,
        json: {
          ...publicUser(site, caller?.login ?? '', created),
          user_view_type: 'private',
          private_gists: 0,
          total_private_repos: 0,
          owned_private_repos: 0,
          disk_usage: 0,
          collaborators: 0,
          two_factor_authentication: true,
        },
      };
    },

    'repos/get-collaborator-permission-level': async ({ params }) => {
      const repo = await repoOf(params);
      const name = params['username'] ?? '';
      if (!repo || !knownUser(name)) return notAUser();
      const role = roleOn(store, `${repo.owner}/${repo.name}`, name);
      return {
        status: 200,
        json: {
          permission: legacyPermission(role),
          role_name: role ?? 'none',
          user: { ...simpleUser(site, name), role_name: role ?? 'none', permissions: permissionsOf(role) },
        },
      };
    },

    'teams/get-membership-for-user-in-org': async ({ params }) => {
      const team = store.data.teams.find((known) => known.org === params['org'] && known.slug === params['team_slug']);
      const member = team?.members.find((known) => known.login === params['username']);
      if (!team || !member) return notAUser();
      return {
        status: 200,
        json: {
          url: `${site.base}/organizations/${team.org}/team/${team.id}/memberships/${member.login}`,
          role: member.role,
          state: 'active',
        },
      };
    },

    'issues/create': async ({ params, body, caller }) => {
      const repo = await repoOf(params);
      if (!repo) return notAUser();
      const key = `${repo.owner}/${repo.name}`;
      const title = text(body, 'title') ?? '';
      if (title.trim() === '')
        return {
          status: 422,
          json: validationFailed([{ resource: 'Issue', code: 'missing_field', field: 'title' }], '/issues/issues'),
        };
      // Issues and pull requests share a repository's numbers.
      const taken = [
        ...store.data.issues.filter((issue) => issue.repo === key).map((issue) => issue.number),
        ...store.data.pulls.filter((pull) => pull.repo === key).map((pull) => pull.number),
      ];
      const stored: StoredIssue = {
        id: store.newId(),
        repo: key,
        number: Math.max(0, ...taken) + 1,
        title,
        body: text(body, 'body') ?? null,
        user: caller?.login ?? '',
        createdAt: githubTime(),
        comments: 0,
      };
      store.data.issues.push(stored);
      store.save();
      return {
        status: 201,
        json: issueJson(site, store, stored),
        headers: { location: `${site.base}/repos/${key}/issues/${stored.number}` },
      };
    },

    'issues/get': async ({ params }) => {
      const repo = await repoOf(params);
      const issue = repo && issueIn(`${repo.owner}/${repo.name}`, params['issue_number']);
      return issue ? { status: 200, json: issueJson(site, store, issue) } : notAUser();
    },

    'issues/create-comment': async ({ params, body, caller }) => {
      const repo = await repoOf(params);
      const issue = repo && issueIn(`${repo.owner}/${repo.name}`, params['issue_number']);
      if (!repo || !issue) return notAUser();
      const commentBody = text(body, 'body') ?? '';
      if (commentBody.trim() === '')
        return { status: 422, json: basicError('Validation Failed', '/issues/comments#create-an-issue-comment') };
      const comment: StoredComment = {
        id: store.newId(),
        repo: issue.repo,
        issueNumber: issue.number,
        body: commentBody,
        user: caller?.login ?? '',
        createdAt: githubTime(),
      };
      store.data.comments.push(comment);
      issue.comments += 1;
      store.save();
      deps.webhooks.emit({
        repo: issue.repo,
        event: 'issue_comment',
        action: 'created',
        payload: issueCommentPayload(site, store, repo, issue, comment),
      });
      return {
        status: 201,
        json: commentJson(site, store, comment),
        headers: { location: `${site.base}/repos/${issue.repo}/issues/comments/${comment.id}` },
      };
    },

    'issues/list-comments': async ({ params }) => {
      const repo = await repoOf(params);
      const issue = repo && issueIn(`${repo.owner}/${repo.name}`, params['issue_number']);
      if (!issue) return notAUser();
      const comments = store.data.comments.filter(
        (comment) => comment.repo === issue.repo && comment.issueNumber === issue.number,
      );
      return { status: 200, json: comments.map((comment) => commentJson(site, store, comment)) };
    },
  };
}
