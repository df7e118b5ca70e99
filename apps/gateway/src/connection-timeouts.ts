/**
 * How long the gateway waits on a client. Fastify waits for ever unless told, so a client that sends a byte now and
 * then, or nothing at all, held a connection as long as it liked (issue 19: six such stayed open a minute and more).
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';

/**
 * Headers come in one packet from any real client. GitHub sends its deliveries (up to 25 MB) at once and gives up by
 * itself after 10 s, so 30 s for a whole request is three times what one ever needs. A WebSocket leaves Node's
 * request accounting once upgraded (and ws clears its socket's idle timeout), so it lives as long as its heartbeats.
 */
const headersTimeoutMs = 10_000;
const requestTimeoutMs = 30_000;
/**
 * No byte either way for a minute on a connection: nothing the gateway answers takes that long (an approval waits on
 * its workflow's update, which a running worker answers in well under a second).
 */
const idleTimeoutMs = 60_000;

export const connectionTimeouts: Pick<FastifyServerOptions, 'requestTimeout' | 'connectionTimeout'> & {
  http: { headersTimeout: number; connectionsCheckingInterval: number };
} = {
  requestTimeout: requestTimeoutMs,
  connectionTimeout: idleTimeoutMs,
  // Node looks for requests past their time this often; its default, 30 s, would let them run on that much longer.
  http: { headersTimeout: headersTimeoutMs, connectionsCheckingInterval: 2_000 },
};

/**
 * Node's headers timeout starts with a request's first byte, so a connection that sends nothing would be held for
 * the idle minute: until its first request arrives, a connection gets only as long as its headers would.
 */
export function closeSilentConnections(app: FastifyInstance): void {
  app.server.on('connection', (socket) => socket.setTimeout(headersTimeoutMs));
  app.addHook('onRequest', async (request) => {
    request.raw.socket.setTimeout(idleTimeoutMs);
  });
}
