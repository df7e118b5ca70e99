/**
 * What one client may hold of the gateway: a rate of requests and a number of open event WebSockets, per client
 * address. The board is open to anyone who reaches it, so without these one address could keep the process busy or
 * fill its memory with sockets. Refusals are 429 with `{error, fix}` and Retry-After, before any work is done.
 */
import { isIPv6 } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface ClientLimitSettings {
  /** Requests a client address may make per minute, all of them at once if it likes (a token bucket that size). */
  requestsPerMinute: number;
  /** Event WebSockets a client address may hold open at once. */
  socketsPerClient: number;
}

/**
 * 600 a minute: a board tab loads with about ten requests (its page, its files, the lists, the session) and then
 * holds one WebSocket; after a long time away it may fetch a snapshot per release it missed, at most a few hundred.
 * So an office of people behind one address, each opening the board at once, stays well inside it; a script that
 * asks ten times a second for ever does not.
 */
export const defaultRequestsPerMinute = 600;
/**
 * 64 at once: a tab holds one, and one it just dropped stays open on the gateway until two heartbeats go unanswered
 * (30 s); a team behind one address with a few tabs each is far from it.
 */
export const defaultSocketsPerClient = 64;

/** GitHub does not redeliver what the gateway refuses, and its deliveries are signed: they are never rate limited. */
const unlimitedRoutes = new Set(['/github/webhooks', '/healthz', '/readyz']);

/** How long a socket refusal asks the client to wait: the time a dropped socket of its takes to be noticed. */
const socketRetryAfterS = 30;

const flags = {
  requests: '--requests-per-minute (RELFORGE_GATEWAY_REQUESTS_PER_MINUTE)',
  sockets: '--sockets-per-client (RELFORGE_GATEWAY_SOCKETS_PER_CLIENT)',
};

/**
 * The key a client is counted under: its address, or for IPv6 its /64, since one host is routinely handed a whole
 * /64 and could otherwise take a fresh address for each request.
 */
export function clientKey(address: string): string {
  const plain = address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (!isIPv6(plain)) return plain;
  const [head = '', tail = ''] = plain.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = plain.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group || '0', 16).toString(16))
    .join(':')}::/64`;
}

export class ClientLimits {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #sockets = new Map<string, number>();
  readonly #perMs: number;
  #sweptAt = 0;

  constructor(
    readonly settings: ClientLimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.#perMs = settings.requestsPerMinute / 60_000;
  }

  /** Takes one request from the client's allowance: undefined when it may go on, or the seconds it must wait. */
  takeRequest(client: string): number | undefined {
    const now = this.now();
    this.#sweep(now);
    const capacity = this.settings.requestsPerMinute;
    const bucket = this.#buckets.get(client) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * this.#perMs);
    bucket.at = now;
    this.#buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.#perMs / 1_000));
  }

  /**
   * Holds one of the client's sockets until `released` fires (the TCP connection closing, which covers the WebSocket
   * ending and an upgrade that never completed); false, holding nothing, when the client holds its limit already.
   */
  holdSocket(client: string, released: (release: () => void) => void): boolean {
    const held = this.#sockets.get(client) ?? 0;
    if (held >= this.settings.socketsPerClient) return false;
    this.#sockets.set(client, held + 1);
    let once = false;
    released(() => {
      if (once) return;
      once = true;
      const left = (this.#sockets.get(client) ?? 1) - 1;
      if (left > 0) this.#sockets.set(client, left);
      else this.#sockets.delete(client);
    });
    return true;
  }

  /** Open sockets across all clients, and the clients counted: for the bench and for tests. */
  get held(): { sockets: number; clients: number } {
    let sockets = 0;
    for (const count of this.#sockets.values()) sockets += count;
    return { sockets, clients: this.#buckets.size };
  }

  /** Forgets clients whose allowance is full again, once a minute: the map holds only clients of the last minute. */
  #sweep(now: number): void {
    if (now - this.#sweptAt < 60_000) return;
    this.#sweptAt = now;
    for (const [client, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.settings.requestsPerMinute) {
        this.#buckets.delete(client);
      }
    }
  }
}

function tooMany(reply: FastifyReply, retryAfterS: number, error: string, fix: string) {
  return reply.code(429).header('retry-after', String(retryAfterS)).send({ error, fix });
}

/** Counts every request against its client's rate (the routes GitHub and supervisors call aside), refusing with 429. */
export function limitRequests(app: FastifyInstance, limits: ClientLimits): void {
  app.addHook('onRequest', async (request, reply) => {
    if (unlimitedRoutes.has(request.routeOptions.url ?? '')) return;
    const wait = limits.takeRequest(clientKey(request.ip));
    if (wait === undefined) return;
    return tooMany(
      reply,
      wait,
      `too many requests from your address: more than ${limits.settings.requestsPerMinute} a minute`,
      `wait ${wait} s (Retry-After) and ask again; if many people share this address, the gateway's operator raises ${flags.requests}`,
    );
  });
}

/**
 * Holds an event socket for the request's client, or answers 429 (before the upgrade, as plain HTTP) when it holds its
 * limit: the refusal is returned, for the hook to return.
 */
export function refuseSocketBeyondLimit(
  request: FastifyRequest,
  reply: FastifyReply,
  limits: ClientLimits,
): FastifyReply | undefined {
  const connection = request.raw.socket;
  const held = limits.holdSocket(clientKey(request.ip), (release) => {
    if (connection.destroyed) release();
    else connection.once('close', release);
  });
  if (held) return undefined;
  return tooMany(
    reply,
    socketRetryAfterS,
    `too many event WebSockets open from your address: ${limits.settings.socketsPerClient} already`,
    `close board tabs or event readers you no longer need (one a tab is enough), or wait ${socketRetryAfterS} s for dropped ones to be closed; if many people share this address, the gateway's operator raises ${flags.sockets}`,
  );
}
