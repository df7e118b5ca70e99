/**
 * A webhook receiver as a user would write one: a real HTTP server that verifies each delivery's Standard Webhooks
 * signature with the `standardwebhooks` package and dedupes by webhook-id. How it answers is set per path by the test.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { ReleaseCloudEvent } from '@relforge/release-events';

export interface Delivery {
  receiver: string;
  id: string;
  /** Milliseconds since the receiver started. */
  at: number;
  verified: boolean;
  event: ReleaseCloudEvent & { data: { status?: unknown } };
  /** False for a webhook-id this receiver had already accepted. */
  first: boolean;
  /** How the receiver answered: a status, or the connection dropped or left hanging. */
  answered?: number | 'drop' | 'hang';
}

/** What the receiver does with one request: answer with a status (and headers), or never answer. */
export type Answer = { status: number; headers?: Record<string, string>; afterMs?: number } | 'hang' | 'drop';

export interface TestReceiver {
  url(name: string): string;
  /** How `name` answers its n-th request (1 is the first); 200 unless set. */
  behave(name: string, answer: (request: number, delivery: Delivery) => Answer): void;
  /** Every request `name` got, verified or not, in arrival order. */
  requests(name: string): Delivery[];
  /** The events `name` accepted (2xx), once per webhook-id, in arrival order. */
  accepted(name: string): Delivery[];
  close(): Promise<void>;
}

export async function startTestReceiver(secrets: Record<string, string>): Promise<TestReceiver> {
  const started = Date.now();
  const requests = new Map<string, Delivery[]>();
  const accepted = new Map<string, Delivery[]>();
  const behaviours = new Map<string, (request: number, delivery: Delivery) => Answer>();
  const hanging = new Set<ServerResponse>();

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const name = (request.url ?? '').replace(/^\/hooks\//, '');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((key) => [key, String(request.headers[key])]),
    );
    let verified = false;
    const secret = secrets[name];
    try {
      if (secret) {
        new Webhook(secret).verify(body, headers);
        verified = true;
      }
    } catch {
      verified = false;
    }
    const seen = accepted.get(name) ?? [];
    const delivery: Delivery = {
      receiver: name,
      id: headers['webhook-id'] ?? '',
      at: Date.now() - started,
      verified,
      event: JSON.parse(body) as Delivery['event'],
      first: !seen.some((earlier) => earlier.id === headers['webhook-id']),
    };
    const list = requests.get(name) ?? [];
    list.push(delivery);
    requests.set(name, list);
    const answer = verified ? (behaviours.get(name)?.(list.length, delivery) ?? { status: 200 }) : { status: 401 };
    delivery.answered = typeof answer === 'string' ? answer : answer.status;
    if (answer === 'hang') {
      hanging.add(response);
      return;
    }
    if (answer === 'drop') {
      request.socket.destroy();
      return;
    }
    if (answer.status >= 200 && answer.status < 300 && delivery.first) accepted.set(name, [...seen, delivery]);
    // A late answer: the receiver has taken the event already, whether or not the sender is still there to hear it.
    if (answer.afterMs) await new Promise((resolve) => setTimeout(resolve, answer.afterMs));
    if (!response.destroyed) response.writeHead(answer.status, answer.headers).end();
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/hooks/${name}`,
    behave: (name, answer) => behaviours.set(name, answer),
    requests: (name) => requests.get(name) ?? [],
    accepted: (name) => accepted.get(name) ?? [],
    async close() {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
