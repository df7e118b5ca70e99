/**
 * The gateway's settings for approvals and signing in: where the forge's API and its web pages are (GitHub's OAuth
 * flow lives on the web host, `https://github.com/login/oauth/…`), the OAuth app, the secret that seals cookies, and
 * the gateway's public address for the OAuth callback. All optional: without an OAuth app, approvals take a bearer
 * GitHub token only.
 */
import type { SecretRef } from '@relforge/config';
import { InputError } from '@relforge/errors';

export const approvalFlags = {
  'github-api-url': { type: 'string' },
  'github-url': { type: 'string' },
  'oauth-client-id': { type: 'string' },
  'oauth-client-secret-env': { type: 'string' },
  'oauth-client-secret-file': { type: 'string' },
  'session-secret-env': { type: 'string' },
  'session-secret-file': { type: 'string' },
  'public-url': { type: 'string' },
} as const;

export interface ApprovalSettings {
  /** GitHub's REST API: `GET /user`, team memberships. */
  apiUrl: string;
  /** GitHub's web host: the OAuth authorize page and the code exchange. */
  webUrl: string;
  oauth?: { clientId: string; clientSecret: SecretRef };
  sessionSecret?: SecretRef;
  /** How browsers reach the gateway, for the OAuth callback URL; the listen address when not given. */
  publicUrl?: string;
}

type Values = Partial<Record<keyof typeof approvalFlags, string>>;

function url(value: string, names: string): string {
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol))
    throw new InputError(`${names}: expected an http(s) URL such as https://github.com`, {
      fix: `give the full URL, e.g. ${names.startsWith('--github-api-url') ? 'https://api.github.com' : 'https://github.com'}`,
    });
  return value.replace(/\/+$/, '');
}

function secretRef(
  envName: string | undefined,
  fileName: string | undefined,
  names: string,
  fix: string,
): SecretRef | undefined {
  if (envName && fileName) throw new InputError(`${names}: give one of them, not both`, { fix });
  return envName ? { env: envName } : fileName ? { file: fileName } : undefined;
}

/** Flags win over variables, as for every other setting of the gateway. */
export function approvalSettings(values: Values, env: NodeJS.ProcessEnv): ApprovalSettings {
  const pick = (flag: keyof typeof approvalFlags, variable: string) => values[flag] ?? (env[variable] || undefined);
  const apiUrl = url(
    pick('github-api-url', 'RELFORGE_GITHUB_API_URL') ?? 'https://api.github.com',
    '--github-api-url (RELFORGE_GITHUB_API_URL)',
  );
  const webUrl = url(
    pick('github-url', 'RELFORGE_GITHUB_URL') ?? 'https://github.com',
    '--github-url (RELFORGE_GITHUB_URL)',
  );
  const clientId = pick('oauth-client-id', 'RELFORGE_OAUTH_CLIENT_ID');
  const clientSecret = secretRef(
    pick('oauth-client-secret-env', 'RELFORGE_OAUTH_CLIENT_SECRET_ENV'),
    pick('oauth-client-secret-file', 'RELFORGE_OAUTH_CLIENT_SECRET_FILE'),
    '--oauth-client-secret-env or --oauth-client-secret-file (RELFORGE_OAUTH_CLIENT_SECRET_ENV, _FILE)',
    "name the variable or the file that holds the OAuth app's client secret",
  );
  if ((clientId === undefined) !== (clientSecret === undefined))
    throw new InputError(
      '--oauth-client-id (RELFORGE_OAUTH_CLIENT_ID) and the OAuth client secret go together: one is given without the other',
      { fix: "give both the OAuth app's client id and where its secret is kept, or neither (bearer tokens only)" },
    );
  const sessionSecret = secretRef(
    pick('session-secret-env', 'RELFORGE_SESSION_SECRET_ENV'),
    pick('session-secret-file', 'RELFORGE_SESSION_SECRET_FILE'),
    '--session-secret-env or --session-secret-file (RELFORGE_SESSION_SECRET_ENV, _FILE)',
    'name the variable or the file that holds the secret sealing session cookies',
  );
  const publicUrl = pick('public-url', 'RELFORGE_GATEWAY_PUBLIC_URL');
  return {
    apiUrl,
    webUrl,
    ...(clientId && clientSecret ? { oauth: { clientId, clientSecret } } : {}),
    ...(sessionSecret ? { sessionSecret } : {}),
    ...(publicUrl ? { publicUrl: url(publicUrl, '--public-url (RELFORGE_GATEWAY_PUBLIC_URL)') } : {}),
  };
}
