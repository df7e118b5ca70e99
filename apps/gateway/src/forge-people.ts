/**
 * The forge's people as every door of the gateway asks GitHub's REST API about them (dispatch, issue comments,
 * approvals, signing in): whose a token is (`GET /user`), a login's role on a repository, a team membership; and the
 * gateway's reply to an issue comment.
 *
 * Whose token asks what: a caller's token (a bearer token, or the one a session holds) is shown to the forge only to
 * learn whose it is. Roles and team memberships are asked with the gateway's own token (--forge-token-*), whoever is
 * asking and through whichever door: GitHub shows a secret team's members only to members of its org, so a caller's
 * token answers by what that caller may see, and two doors asking with two tokens decide "may alice approve?"
 * differently. Without the gateway's token no role or team can be asked, so the doors that need one answer 503.
 *
 * Which forge: a project's `forge.apiUrl` for everything asked about that project; the gateway's --github-api-url only
 * for signing in and `/api/session`, which serve no project. `ForgePeople.at(apiUrl)` gives every door the same client
 * for an API URL, and every client the one bounded cache of whose each token is.
 */
import { createHash } from 'node:crypto';
import { RelforgeError } from '@relforge/errors';
import type { ForgeDirectory } from '@relforge/operations';
import { ExpiringCache } from './expiring-cache.js';

/** The forge could not be asked (no answer, a 5xx, no gateway token to ask with): a door answers 503, naming the fix. */
export class ForgeUnreachable extends RelforgeError {}

/**
 * How long whose a token is counts without asking again: a minute, so a token revoked since (a bearer token, or the
 * one behind a signed-in session) is refused within one.
 */
export const tokenAnswerMs = 60_000;
/**
 * At most this many tokens' answers are kept: a gateway's callers are one organisation's people, so more within a
 * minute are made-up tokens, and forgetting one costs only another `GET /user`.
 */
export const tokenAnswerLimit = 1_000;

const noGatewayToken = {
  fix: 'start the gateway with --forge-token-env or --forge-token-file (RELFORGE_GATEWAY_TOKEN_ENV)',
};

/** The gateway's forge people: its own token and what it remembers of callers' tokens, for every API URL it asks. */
export class ForgePeople {
  // Keyed by the digest of the API URL and the token together, never the token itself.
  readonly #tokens = new ExpiringCache<string | undefined>(tokenAnswerLimit, tokenAnswerMs);
  readonly #clients = new Map<string, ForgeClient>();

  constructor(private readonly gatewayToken: string | undefined) {}

  /** Whether roles and team memberships can be asked at all. */
  get hasGatewayToken(): boolean {
    return this.gatewayToken !== undefined;
  }

  at(apiUrl: string): ForgeClient {
    let client = this.#clients.get(apiUrl);
    if (!client) {
      client = new ForgeClient(apiUrl, this.gatewayToken, this.#tokens);
      this.#clients.set(apiUrl, client);
    }
    return client;
  }
}

/** One forge's REST API, as `ForgePeople.at` hands it out. */
export class ForgeClient implements ForgeDirectory {
  constructor(
    readonly apiUrl: string,
    private readonly gatewayToken: string | undefined,
    private readonly tokens: ExpiringCache<string | undefined>,
  ) {}

  /** The login a token signs in as, or undefined for a token the forge refuses (unknown, expired, revoked). */
  async loginOf(token: string): Promise<string | undefined> {
    const key = createHash('sha256').update(`${this.apiUrl}\0${token}`).digest('hex');
    const known = this.tokens.get(key);
    if (known) return known.value;
    const { status, json } = await this.call('GET', '/user', token);
    const answered = status === 200 ? (json as { login?: unknown } | undefined)?.login : undefined;
    if (status === 200 && typeof answered !== 'string')
      throw new ForgeUnreachable(`the forge at ${this.apiUrl} answered GET /user without a login`, {
        fix: "check that --github-api-url (RELFORGE_GITHUB_API_URL) or the project's forge.apiUrl is a GitHub REST API",
      });
    const login = typeof answered === 'string' ? answered : undefined;
    // A 403 may be a rate limit rather than a verdict on the token: refused now, asked again next time.
    if (status === 200 || status === 401) this.tokens.set(key, login);
    return login;
  }

  async roleOf(repository: string, login: string): Promise<string | undefined> {
    const { status, json } = await this.call(
      'GET',
      `/repos/${repository}/collaborators/${encodeURIComponent(login)}/permission`,
      this.ownToken('look up roles'),
    );
    if (status !== 200) return undefined;
    const role = (json as { role_name?: string }).role_name;
    return role === 'none' ? undefined : role;
  }

  async inTeam(team: string, login: string): Promise<boolean> {
    const [org = '', slug = ''] = team.split('/');
    const { status, json } = await this.call(
      'GET',
      `/orgs/${encodeURIComponent(org)}/teams/${encodeURIComponent(slug)}/memberships/${encodeURIComponent(login)}`,
      this.ownToken('look up team memberships'),
    );
    return status === 200 && (json as { state?: string }).state === 'active';
  }

  /** The teams ("org/slug") among `teams` of which `login` is an active member. */
  async teamsOf(login: string, teams: readonly string[]): Promise<string[]> {
    const member = await Promise.all(teams.map((team) => this.inTeam(team, login)));
    return teams.filter((_, index) => member[index]);
  }

  async comment(repository: string, issue: number, body: string): Promise<void> {
    const { status } = await this.call(
      'POST',
      `/repos/${repository}/issues/${issue}/comments`,
      this.ownToken('reply'),
      {
        body,
      },
    );
    if (status !== 201)
      throw new ForgeUnreachable(`the forge refused the reply comment on ${repository}#${issue} (${status})`, {
        fix: "check that the gateway's forge token may comment on the repository's issues",
      });
  }

  private ownToken(what: string): string {
    if (this.gatewayToken === undefined)
      throw new ForgeUnreachable(`the gateway has no forge token, so it cannot ${what}`, noGatewayToken);
    return this.gatewayToken;
  }

  private async call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    const fix = 'try again once the forge answers; nothing was done';
    let response: Response;
    try {
      response = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new ForgeUnreachable(`the forge at ${this.apiUrl} did not answer (${(error as Error).message})`, { fix });
    }
    const text = await response.text();
    if (response.status >= 500)
      throw new ForgeUnreachable(`the forge at ${this.apiUrl} answered ${response.status}`, { fix });
    try {
      return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
    } catch {
      throw new ForgeUnreachable(`the forge at ${this.apiUrl} answered ${method} ${path} with something not JSON`, {
        fix,
      });
    }
  }
}
