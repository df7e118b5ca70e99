/**
 * Forge failures sorted by what can fix them: a retry (server errors, rate
 * limits, handled inside Octokit's plugins), a person (credentials,
 * permissions, a refused request), or nothing at all.
 */
import { RelforgeError } from '@relforge/errors';

export type ForgeFailureKind = 'credentials' | 'permission' | 'not-found' | 'refused' | 'unavailable';

export class ForgeError extends RelforgeError {
  readonly kind: ForgeFailureKind;
  readonly status: number | undefined;

  constructor(kind: ForgeFailureKind, message: string, options: { fix: string; status?: number; cause?: unknown }) {
    super(message, options);
    this.kind = kind;
    this.status = options.status;
  }

  /** Retrying cannot help: the release must wait for a person. */
  get needsOperator(): boolean {
    return this.kind !== 'unavailable';
  }
}

interface HttpError {
  status: number;
  message: string;
  response?: { data?: unknown };
}

function isHttpError(error: unknown): error is HttpError {
  return typeof error === 'object' && error !== null && typeof (error as { status?: unknown }).status === 'number';
}

/** GitHub's 422 bodies say what was wrong in `errors[]`; keep that, drop the rest. */
function detailOf(error: HttpError): string {
  const data = error.response?.data as
    { message?: string; errors?: { message?: string; code?: string; field?: string }[] } | undefined;
  const details = (data?.errors ?? [])
    .map((item) => item.message ?? [item.field, item.code].filter(Boolean).join(' '))
    .filter(Boolean);
  return [data?.message ?? error.message, ...details].join('; ');
}

/** Turns an Octokit error into one that says which request failed and what a person can do. */
export function toForgeError(error: unknown, action: string, credential: string): unknown {
  if (!isHttpError(error)) return error;
  const detail = detailOf(error);
  const at = `${action}: ${error.status} ${detail}`;
  switch (error.status) {
    case 401:
      return new ForgeError('credentials', `the forge refused the credentials while trying to ${at}`, {
        status: error.status,
        fix: `check ${credential}: it is missing, mistyped, expired or revoked; then resume the release`,
        cause: error,
      });
    case 403:
      return new ForgeError('permission', `the forge denied permission to ${at}`, {
        status: error.status,
        fix: `give ${credential} write access to contents and pull requests of that repository; then resume the release`,
        cause: error,
      });
    case 404:
      return new ForgeError('not-found', `not found while trying to ${at}`, {
        status: error.status,
        fix: `check the repository name in the config, and that ${credential} can see it (private repositories answer 404 to outsiders)`,
        cause: error,
      });
    case 400:
    case 409:
    case 410:
    case 422:
      return new ForgeError('refused', `the forge refused to ${at}`, {
        status: error.status,
        fix: 'fix what the message names in the repository or the config, then resume the release',
        cause: error,
      });
    default:
      return new ForgeError('unavailable', `the forge failed to ${at}`, {
        status: error.status,
        fix: 'the forge is having trouble; Relforge retries with backoff — wait, or check its status page',
        cause: error,
      });
  }
}
