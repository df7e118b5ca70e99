/**
 * The forge as the gateway's authorization asks it: who a bearer token belongs to (`GET /user`, remembered for a
 * minute by the token's digest, never the token), a login's role on a repository, a team membership, and the reply
 * to an issue comment. Lookups about other people use the gateway's own token; the caller's token is only presented
 * to learn whose it is.
 */
import { createHash } from 'node:crypto';

const cacheMs = 60_000;

export class ForgeUnreachable extends Error {}

export class ForgeDirectoryClient {
  readonly #logins = new Map<string, { login: string | undefined; until: number }>();

  constructor(
    readonly apiUrl: string,
    private readonly token: string,
  ) {}

  private async call(
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
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
      throw new ForgeUnreachable(`the forge at ${this.apiUrl} did not answer (${(error as Error).message})`);
    }
    const text = await response.text();
    if (response.status >= 500) throw new ForgeUnreachable(`the forge at ${this.apiUrl} answered ${response.status}`);
    return { status: response.status, json: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** The login a token signs in as, or undefined for a token the forge refuses (unknown, expired, revoked). */
  async loginOf(token: string): Promise<string | undefined> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.#logins.get(key);
    if (cached && cached.until > Date.now()) return cached.login;
    const { status, json } = await this.call('GET', '/user', token);
    const login = status === 200 ? (json as { login?: string }).login : undefined;
    if (status === 200 || status === 401) this.#logins.set(key, { login, until: Date.now() + cacheMs });
    return login;
  }

  async roleOf(repository: string, login: string): Promise<string | undefined> {
    const { status, json } = await this.call(
      'GET',
      `/repos/${repository}/collaborators/${encodeURIComponent(login)}/permission`,
      this.token,
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
      this.token,
    );
    return status === 200 && (json as { state?: string }).state === 'active';
  }

  async comment(repository: string, issue: number, body: string): Promise<void> {
    const { status } = await this.call('POST', `/repos/${repository}/issues/${issue}/comments`, this.token, { body });
    if (status !== 201)
      throw new ForgeUnreachable(`the forge refused the reply comment on ${repository}#${issue} (${status})`);
  }
}
