/**
 * The contract every webhook delivery the stand-in sends is held to: the payload schemas of GitHub's published webhook
 * description (`@octokit/openapi-webhooks`), cut down to the events sent here and checked with ajv, like the REST
 * contract. A payload that breaks it is recorded as a violation before it goes out.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ValidateFunction } from 'ajv';
import {
  collectRefs,
  contractAjv,
  isObject,
  resolvePointer,
  setPointer,
  type ContractIssue,
  type Json,
  type JsonObject,
} from './contract.js';

/** The deliveries the stand-in sends, by GitHub's webhook name: the event, and for some events the action. */
export const sentWebhooks = ['ping', 'push', 'create', 'release-published'] as const;
export type SentWebhook = (typeof sentWebhooks)[number];

const specId = 'webhooks.github.com';
const specFile = '@octokit/openapi-webhooks/generated/api.github.com.json';

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

/** Reads the pinned description and keeps the part sent here, cached in node_modules/.cache like the REST contract. */
export function loadWebhookContract(): WebhookContract {
  const require = createRequire(import.meta.url);
  const { version } = JSON.parse(readFileSync(require.resolve('@octokit/openapi-webhooks/package.json'), 'utf8')) as {
    version: string;
  };
  const key = createHash('sha256')
    .update(`${version}\n${sentWebhooks.join(',')}\n`)
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .digest('hex')
    .slice(0, 16);
  const cacheFile = fileURLToPath(
    new URL(`../node_modules/.cache/github-standin/webhooks-${version}-${key}.json`, import.meta.url),
  );
  try {
    return new WebhookContract(JSON.parse(readFileSync(cacheFile, 'utf8')) as JsonObject);
  } catch {
    // No cache yet: prune from the full description below.
  }
  const full = JSON.parse(readFileSync(require.resolve(specFile), 'utf8')) as Json;
  const pruned = prune(isObject(full) ? full : {});
  try {
    mkdirSync(dirname(cacheFile), { recursive: true });
    const temporary = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(pruned));
    renameSync(temporary, cacheFile);
  } catch {
    // A read-only install still works; it just prunes on every start.
  }
  return new WebhookContract(pruned);
}
