/**
 * The contract every webhook delivery the stand-in sends is held to: the payload schemas of GitHub's published webhook
 * description (`@octokit/openapi-webhooks`), cut down to the events sent here and checked with ajv, like the REST
 * contract. A payload that breaks it is recorded as a violation before it goes out.
 */
import type { ValidateFunction } from 'ajv';
import {
  cachedPrune,
  collectRefs,
  contractAjv,
  isObject,
  resolvePointer,
  setPointer,
  type ContractIssue,
  type JsonObject,
} from './contract.js';

/** The deliveries the stand-in sends, by GitHub's webhook name: the event, and for some events the action. */
export const sentWebhooks = ['ping', 'push', 'create', 'release-published', 'issue-comment-created'] as const;
export type SentWebhook = (typeof sentWebhooks)[number];

const specId = 'webhooks.github.com';

/** Each sent webhook's payload schema pointer, and every component those reach. */
function prune(full: JsonObject): JsonObject {
  const document: JsonObject = { schemas: {} };
  const pending = new Set<string>();
  const webhooks = isObject(full['webhooks']) ? full['webhooks'] : {};
  for (const name of sentWebhooks) {
    const schema = resolvePointer(webhooks, `#/${name}/post/requestBody/content/application~1json/schema`);
    if (!isObject(schema)) throw new Error(`the webhook description has no payload schema for ${name}`);
    setPointer(document, `#/schemas/${name}`, schema);
    collectRefs(schema, pending);
  }
  const copied = new Set<string>();
  while (pending.size > 0) {
    const [ref] = pending;
    if (ref === undefined) break;
    pending.delete(ref);
    if (copied.has(ref)) continue;
    copied.add(ref);
    const target = resolvePointer(full, ref);
    if (target === undefined) throw new Error(`the webhook description refers to ${ref}, which it does not define`);
    setPointer(document, ref, target);
    collectRefs(target, pending);
  }
  return document;
}

export class WebhookContract {
  private readonly ajv = contractAjv(false);
  private readonly compiled = new Map<SentWebhook, ValidateFunction>();

  constructor(document: JsonObject) {
    this.ajv.addSchema(document, specId);
  }

  /** What is wrong with a payload for this webhook; empty when it is what GitHub sends. */
  check(webhook: SentWebhook, payload: unknown): ContractIssue[] {
    let validate = this.compiled.get(webhook);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${specId}#/schemas/${webhook}` });
      this.compiled.set(webhook, validate);
    }
    if (validate(payload)) return [];
    return (validate.errors ?? []).map((error) => ({
      at: `payload${error.instancePath}`,
      message: error.message ?? error.keyword,
    }));
  }
}

/** The pinned webhook description, cut to the payloads sent here, cached like the REST contract. */
export function loadWebhookContract(): WebhookContract {
  return new WebhookContract(
    cachedPrune({
      packageName: '@octokit/openapi-webhooks',
      file: 'generated/api.github.com.json',
      kept: sentWebhooks,
      module: import.meta.url,
      prune,
    }),
  );
}
