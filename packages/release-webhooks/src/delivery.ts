/**
 * One delivery attempt: the event POSTed, signed as Standard Webhooks specify, and the answer sorted into delivered,
 * try again (when, if the receiver said), or gone. Redirects are never followed — a signed body must not be sent
 * wherever a Location header points — and an attempt that outlasts its timeout is aborted and counts as failed.
 */
import type { Webhook } from 'standardwebhooks';

export type Outcome =
  | { kind: 'delivered'; status: number }
  /** `retryAfterMs`: what the receiver asked for in Retry-After (429, 503), already capped. */
  | { kind: 'failed'; reason: string; status?: number; retryAfterMs?: number }
  | { kind: 'gone'; status: 410 };

export interface Attempt {
  url: string;
  /** The event id: the same on every attempt, so a receiver dedupes redeliveries by it. */
  id: string;
  body: string;
  signer: Webhook;
  timeoutMs: number;
  /** Caps a Retry-After. */
  retryAfterCapMs: number;
  retryAfter: (header: string | null, capMs: number) => number | undefined;
}

/** The three Standard Webhooks headers of one attempt; the timestamp is the attempt's own. */
export function signedHeaders(signer: Webhook, id: string, body: string, at = new Date()): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1_000)),
    'webhook-signature': signer.sign(id, at, body),
  };
}

export async function attemptDelivery(attempt: Attempt): Promise<Outcome> {
  let response: Response;
  try {
    response = await fetch(attempt.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/cloudevents+json',
        'user-agent': 'relforge-notifier',
        ...signedHeaders(attempt.signer, attempt.id, attempt.body),
      },
      body: attempt.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(attempt.timeoutMs),
    });
    // The body is not read: only the status counts, and a receiver streaming a large answer must not hold us.
    await response.body?.cancel().catch(() => undefined);
  } catch (error) {
    return { kind: 'failed', reason: requestProblem(error, attempt.timeoutMs) };
  }
  const { status } = response;
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status === 410) return { kind: 'gone', status };
  if (status >= 300 && status < 400) {
    return { kind: 'failed', status, reason: `answered ${status} (a redirect, which is not followed)` };
  }
  const retryAfter =
    status === 429 || status === 503
      ? attempt.retryAfter(response.headers.get('retry-after'), attempt.retryAfterCapMs)
      : undefined;
  return {
    kind: 'failed',
    status,
    reason: `answered ${status}`,
    ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
  };
}

/** What went wrong before any answer; the message of a fetch error names the cause, never the request's headers. */
function requestProblem(error: unknown, timeoutMs: number): string {
  const failure = error as Error & { cause?: { code?: string } };
  if (failure.name === 'TimeoutError') return `did not answer within ${timeoutMs / 1_000} s`;
  return `could not be reached (${failure.cause?.code ?? failure.message})`;
}
