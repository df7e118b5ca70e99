/**
 * Webhook deliveries, made as GitHub makes them: for each active hook of the repository subscribed to the event, a
 * POST to its URL with `X-GitHub-Event`, `X-GitHub-Delivery` (a GUID that a redelivery keeps), `X-Hub-Signature-256`
 * (HMAC-SHA256 of the body under the hook's secret), a `GitHub-Hookshot/…` user agent, and a payload held to GitHub's
 * webhook schemas. Each attempt is recorded, answer included, and can be redelivered by id.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { ContractIssue } from './contract.js';
import { githubTime } from './shapes.js';
import type { Store, StoredDelivery, StoredHook } from './store.js';
import { sentWebhooks, type SentWebhook, type WebhookContract } from './webhook-contract.js';

/** GitHub gives up on a receiver after 10 s. */
const deliveryTimeoutMs = 10_000;
const maxRecordedBody = 64 * 1024;
const userAgent = `GitHub-Hookshot/${randomBytes(4).toString('hex').slice(0, 7)}`;

export interface WebhookEvent {
  repo: string;
  /** `X-GitHub-Event`: push, create, release, ping. */
  event: string;
  action?: string;
  payload: Record<string, unknown>;
}

export interface WebhookDeps {
  store: Store;
  contract: WebhookContract;
  log: (line: string) => void;
  /** A payload that breaks GitHub's schema: recorded like a REST contract violation. */
  violation: (webhook: SentWebhook, issues: ContractIssue[]) => void;
}

const subscribed = (hook: StoredHook, event: string) =>
  event === 'ping' || hook.events.includes('*') || hook.events.includes(event);

function webhookName(event: string, action: string | undefined): SentWebhook | undefined {
  // The description names webhooks with dashes: `issue_comment` created is `issue-comment-created`.
  const name = (action ? `${event}-${action}` : event).replaceAll('_', '-');
  return sentWebhooks.find((known) => known === name);
}

export class Webhooks {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly deps: WebhookDeps) {}

  /** Deliveries still being made: tests wait for none before they count. */
  get pending(): number {
    return this.inFlight.size;
  }

  hooksOf(repo: string): StoredHook[] {
    return this.deps.store.data.hooks.filter((hook) => hook.repo === repo);
  }

  /** Sends the event to every hook that wants it, in the background, as GitHub does after the push or the API call. */
  emit(event: WebhookEvent, only?: StoredHook): void {
    const name = webhookName(event.event, event.action);
    if (name) {
      const issues = this.deps.contract.check(name, event.payload);
      if (issues.length > 0) this.deps.violation(name, issues);
    }
    for (const hook of only ? [only] : this.hooksOf(event.repo)) {
      if (!hook.active || !subscribed(hook, event.event)) continue;
      this.send(hook, randomUUID(), event.event, event.action ?? null, this.body(hook, event.payload), false);
    }
  }

  /** A delivery sent again with its GUID, as GitHub's "Redeliver" does; undefined when there is no such delivery. */
  redeliver(hook: StoredHook, deliveryId: number): StoredDelivery | undefined {
    const original = this.deps.store.data.deliveries.find(
      (delivery) => delivery.id === deliveryId && delivery.hookId === hook.id,
    );
    if (!original) return undefined;
    // The payload as first sent, signed again under the hook's current secret and sent to its current URL.
    return this.send(hook, original.guid, original.event, original.action, original.request.body, true);
  }

  /**
   * Counts work that will emit events (a push being received and compared) as pending, so a caller that waits for no
   * pending delivery also waits for the deliveries that work is about to make.
   */
  track<T>(work: Promise<T>): Promise<T> {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
    return work;
  }

  /** Every delivery still in flight has ended. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private body(hook: StoredHook, payload: Record<string, unknown>): string {
    const json = JSON.stringify(payload);
    return hook.contentType === 'form' ? `payload=${encodeURIComponent(json)}` : json;
  }

  private send(
    hook: StoredHook,
    guid: string,
    event: string,
    action: string | null,
    body: string,
    redelivery: boolean,
  ): StoredDelivery {
    const { store } = this.deps;
    const headers: Record<string, string> = {
      accept: '*/*',
      'content-type': hook.contentType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
      'user-agent': userAgent,
      'x-github-delivery': guid,
      'x-github-event': event,
      'x-github-hook-id': String(hook.id),
      'x-github-hook-installation-target-id': String(store.data.repos[hook.repo]?.id ?? 0),
      'x-github-hook-installation-target-type': 'repository',
    };
    if (hook.secret) {
      headers['x-hub-signature'] = `sha1=${createHmac('sha1', hook.secret).update(body).digest('hex')}`;
      headers['x-hub-signature-256'] = `sha256=${createHmac('sha256', hook.secret).update(body).digest('hex')}`;
    }
    const delivery: StoredDelivery = {
      id: store.newId(),
      guid,
      hookId: hook.id,
      repo: hook.repo,
      event,
      action,
      redelivery,
      deliveredAt: githubTime(),
      duration: 0,
      status: 'pending',
      statusCode: 0,
      request: { headers, body },
      response: { headers: {}, body: null },
    };
    store.data.deliveries.push(delivery);
    store.save();
    const attempt = this.attempt(hook, delivery).finally(() => this.inFlight.delete(attempt));
    this.inFlight.add(attempt);
    return delivery;
  }

  private async attempt(hook: StoredHook, delivery: StoredDelivery): Promise<void> {
    const started = performance.now();
    try {
      // GitHub follows no redirects: a 3xx is the answer.
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: delivery.request.headers,
        body: delivery.request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(deliveryTimeoutMs),
      });
      const text = await response.text();
      delivery.statusCode = response.status;
      delivery.status = response.ok ? 'OK' : `Invalid HTTP Response: ${response.status}`;
      delivery.response = {
        headers: Object.fromEntries(response.headers.entries()),
        body: text.slice(0, maxRecordedBody),
      };
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      delivery.status =
        error instanceof Error && error.name === 'TimeoutError'
          ? 'timed out'
          : `failed to connect to host${cause ? ` (${cause})` : ''}`;
    }
    delivery.duration = Math.round(performance.now() - started) / 1000;
    hook.lastResponse = {
      code: delivery.statusCode || null,
      status: delivery.status === 'OK' ? 'active' : 'failed',
      message: delivery.status,
    };
    this.deps.store.save();
    this.deps.log(
      `webhook ${delivery.event}${delivery.action ? `.${delivery.action}` : ''} ${delivery.guid}${delivery.redelivery ? ' (redelivery)' : ''} to hook ${hook.id}: ${delivery.status}`,
    );
  }
}
