/**
 * Who a GitHub token belongs to, and which teams they are in, asked of the forge: `GET /user` and
 * `GET /orgs/{org}/teams/{team_slug}/memberships/{username}`. The approve endpoint's only way to know a person; the
 * dispatch helper's token resolver may replace `loginOf` at merge (same contract: a token in, a login or a refusal out).
 */
import { createHash } from 'node:crypto';

/** The forge refused the token, or could not be asked: the caller answers 401 or 503 with this message. */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
  constructor(
    message: string,
    readonly status: 401 | 503,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** How long a resolved token is trusted without asking again: short, so a revoked token stops working soon. */
const cacheMs = 60_000;

export class ForgeIdentity {
  readonly #logins = new Map<string, { login: string; until: number }>();

  constructor(readonly apiUrl: string) {}

  /** The login behind a token; only the token's hash is kept, for a minute. */
  async loginOf(token: string): Promise<string> {
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.#logins.get(key);
    if (cached && cached.until > Date.now()) return cached.login;
    const response = await this.#get('/user', token);
    if (response.status === 401 || response.status === 403)
      throw new IdentityError(
        `the forge refused the token (GET /user answered ${response.status})`,
        401,
        'send a valid GitHub token (Authorization: Bearer <token>), or sign in again at /auth/github/login',
      );
    if (!response.ok) throw this.#unavailable(`GET /user answered ${response.status}`);
    const { login } = (await response.json()) as { login?: unknown };
    if (typeof login !== 'string') throw this.#unavailable('GET /user answered no login');
    this.#logins.set(key, { login, until: Date.now() + cacheMs });
    return login;
  }

  /** The teams ("org/slug") among `teams` in which the forge says `login` is an active member, asked with `token`. */
  async teamsOf(token: string, login: string, teams: readonly string[]): Promise<string[]> {
    const member = await Promise.all(
      teams.map(async (team) => {
        const [org = '', slug = ''] = team.split('/');
        const path = `/orgs/${encodeURIComponent(org)}/teams/${encodeURIComponent(slug)}/memberships/${encodeURIComponent(login)}`;
        const response = await this.#get(path, token);
        if (response.status === 404) return false;
        if (!response.ok) throw this.#unavailable(`GET ${path} answered ${response.status}`);
        const { state } = (await response.json()) as { state?: unknown };
        return state === 'active';
      }),
    );
    return teams.filter((_, index) => member[index]);
  }

  async #get(path: string, token: string): Promise<Response> {
    try {
      return await fetch(`${this.apiUrl}${path}`, {
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
        },
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw this.#unavailable(error instanceof Error ? error.message : String(error));
    }
  }

  #unavailable(cause: string): IdentityError {
    return new IdentityError(
      `the forge at ${this.apiUrl} could not say who the approver is: ${cause}`,
      503,
      'try again once the forge answers; check --github-api-url (RELFORGE_GITHUB_API_URL)',
    );
  }
}
