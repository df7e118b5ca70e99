/**
 * People on the stand-in, as the gateway's authorization sees them on GitHub: users who sign in with tokens of their
 * own (`GET /user`), collaborators of a repository with a role (`…/collaborators/{username}/permission`), organization
 * teams and their members (`/orgs/{org}/teams/{team_slug}/memberships/{username}`), and issues with comments, whose
 * creation is sent as an `issue_comment` webhook. Tests seed users, roles and teams through the admin API.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { basicError, githubTime, repository, simpleUser, type RepoFacts, type Site } from './shapes.js';
import { storedCollaborator, type Store, type StoredComment, type StoredIssue } from './store.js';

const login = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, 'expected a GitHub login');

/** Admin API input: a user and the token they sign in with (made up when not given; returned once). */
export const createUserInput = z.object({
  login,
  token: z.string().min(20).optional(),
  /** ISO time after which the token is refused; in the past for an expired token. */
  tokenExpiresAt: z.iso.datetime().optional(),
  /** Teams ("<org>/<team slug>") the user is an active member of; a team not made yet is made with them. */
  teams: z.array(z.string().regex(/^[^/\s]+\/[a-z0-9][a-z0-9_.-]*$/, 'expected "<org>/<team slug>"')).default([]),
});
export type CreateUserInput = z.input<typeof createUserInput>;
export const createdUser = z.object({ login: z.string(), id: z.number(), token: z.string() });
export type CreatedUser = z.infer<typeof createdUser>;

export const setCollaboratorInput = z.object({
  repo: z.string().regex(/^[^/]+\/[^/]+$/, 'expected owner/name'),
  login,
  role: storedCollaborator.shape.role,
});
export type SetCollaboratorInput = z.input<typeof setCollaboratorInput>;

export const createTeamInput = z.object({
  org: z.string().min(1),
  slug: z.string().regex(/^[a-z0-9_.-]+$/, 'expected a team slug'),
  members: z.array(login).default([]),
  maintainers: z.array(login).default([]),
});
export type CreateTeamInput = z.input<typeof createTeamInput>;

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The stand-in's admin side of people: users, roles, teams. */
export function peopleAdmin(store: Store) {
  return {
    createUser(body: unknown): CreatedUser {
      const input = createUserInput.parse(body);
      const token = input.token ?? `ghp_${randomBytes(18).toString('hex')}`;
      const existing = store.data.users.find((user) => user.login === input.login);
      const user = existing ?? {
        id: store.newId(),
        login: input.login,
        tokenSha256: '',
        tokenExpiresAt: null,
        createdAt: githubTime(),
      };
      user.tokenSha256 = sha256(token);
      user.tokenExpiresAt = input.tokenExpiresAt ?? null;
      if (!existing) store.data.users.push(user);
      for (const name of input.teams) {
        const [org = '', slug = ''] = name.split('/');
        let team = store.data.teams.find((known) => known.org === org && known.slug === slug);
        if (!team) {
          team = { id: store.newId(), org, slug, members: [] };
          store.data.teams.push(team);
        }
        if (!team.members.some((member) => member.login === user.login))
          team.members.push({ login: user.login, role: 'member' });
      }
      store.save();
      return { login: user.login, id: user.id, token };
    },
    setCollaborator(body: unknown): void {
      const input = setCollaboratorInput.parse(body);
      store.data.collaborators = store.data.collaborators.filter(
        (known) => !(known.repo === input.repo && known.login === input.login),
      );
      store.data.collaborators.push(input);
      store.save();
    },
    createTeam(body: unknown): void {
      const input = createTeamInput.parse(body);
      store.data.teams = store.data.teams.filter((team) => !(team.org === input.org && team.slug === input.slug));
      store.data.teams.push({
        id: store.newId(),
        org: input.org,
        slug: input.slug,
        members: [
          ...input.members.map((member) => ({ login: member, role: 'member' as const })),
          ...input.maintainers.map((member) => ({ login: member, role: 'maintainer' as const })),
        ],
      });
      store.save();
    },
  };
}

/** The login a user token signs in as, or undefined for a token that is unknown or expired. */
export function userForToken(store: Store, tokenSha256: string): string | undefined {
  const user = store.data.users.find((known) => known.tokenSha256 === tokenSha256);
  if (!user) return undefined;
  if (user.tokenExpiresAt && Date.parse(user.tokenExpiresAt) <= Date.now()) return undefined;
  return user.login;
}

export function publicUser(site: Site, name: string, createdAt: string): Record<string, unknown> {
  return {
    ...simpleUser(site, name),
    name: null,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: createdAt,
    updated_at: createdAt,
  };
}

const reactions = (url: string) => ({
  url: `${url}/reactions`,
  total_count: 0,
  '+1': 0,
  '-1': 0,
  laugh: 0,
  hooray: 0,
  confused: 0,
  heart: 0,
  rocket: 0,
  eyes: 0,
});

/** How GitHub labels an author on an issue or comment: the owner, a collaborator, or none of those. */
function association(store: Store, repo: string, author: string): string {
  if (repo.split('/')[0] === author || author === 'relforge-bot') return 'OWNER';
  return store.data.collaborators.some((known) => known.repo === repo && known.login === author)
    ? 'COLLABORATOR'
    : 'NONE';
}

export function issueJson(site: Site, store: Store, stored: StoredIssue): Record<string, unknown> {
  const api = `${site.base}/repos/${stored.repo}/issues/${stored.number}`;
  return {
    id: stored.id,
    node_id: Buffer.from(`05:Issue${stored.id}`).toString('base64'),
    url: api,
    repository_url: `${site.base}/repos/${stored.repo}`,
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: `${site.base}/${stored.repo}/issues/${stored.number}`,
    timeline_url: `${api}/timeline`,
    number: stored.number,
    state: 'open',
    locked: false,
    title: stored.title,
    body: stored.body,
    user: simpleUser(site, stored.user),
    labels: [],
    assignee: null,
    assignees: [],
    milestone: null,
    comments: stored.comments,
    created_at: stored.createdAt,
    updated_at: stored.createdAt,
    closed_at: null,
    author_association: association(store, stored.repo, stored.user),
    active_lock_reason: null,
    reactions: reactions(api),
  };
}

export function commentJson(site: Site, store: Store, stored: StoredComment): Record<string, unknown> {
  const url = `${site.base}/repos/${stored.repo}/issues/comments/${stored.id}`;
  return {
    id: stored.id,
    node_id: Buffer.from(`012:IssueComment${stored.id}`).toString('base64'),
    url,
    html_url: `${site.base}/${stored.repo}/issues/${stored.issueNumber}#issuecomment-${stored.id}`,
    issue_url: `${site.base}/repos/${stored.repo}/issues/${stored.issueNumber}`,
    body: stored.body,
    user: simpleUser(site, stored.user),
    created_at: stored.createdAt,
    updated_at: stored.createdAt,
    author_association: association(store, stored.repo, stored.user),
    performed_via_github_app: null,
    reactions: reactions(url),
  };
}

export function issueCommentPayload(
  site: Site,
  store: Store,
  repo: RepoFacts,
  issue: StoredIssue,
  comment: StoredComment,
): Record<string, unknown> {
  return {
    action: 'created',
    issue: issueJson(site, store, issue),
    comment: commentJson(site, store, comment),
    repository: repository(site, repo),
    sender: simpleUser(site, comment.user),
  };
}

/** The role a login holds on a repository: the bot that owns every repository here is admin; others as seeded. */
export function roleOn(store: Store, repo: string, name: string): string | undefined {
  if (name === 'relforge-bot') return 'admin';
  return store.data.collaborators.find((known) => known.repo === repo && known.login === name)?.role;
}

/** `permission` is the legacy field: maintain reads as write and triage as read, as GitHub answers it. */
export function legacyPermission(role: string | undefined): string {
  if (role === 'admin') return 'admin';
  if (role === 'maintain' || role === 'write') return 'write';
  if (role === 'triage' || role === 'read') return 'read';
  return 'none';
}

const roleOrder = ['read', 'triage', 'write', 'maintain', 'admin'];

/** The booleans GitHub lists beside a collaborator: each role includes the ones below it. */
export function permissionsOf(role: string | undefined): Record<string, boolean> {
  const rank = roleOrder.indexOf(role ?? '');
  const has = (least: string) => rank >= roleOrder.indexOf(least);
  return {
    pull: has('read'),
    triage: has('triage'),
    push: has('write'),
    maintain: has('maintain'),
    admin: has('admin'),
  };
}

export const notAUser = () => ({ status: 404, json: basicError('Not Found', '') });
