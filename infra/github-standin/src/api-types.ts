/**
 * What every REST handler of the stand-in takes and gives: the request as parsed, the reply, and the services the
 * handlers share. A leaf, so the per-resource modules and the router can all name them.
 */
import type { IncomingMessage } from 'node:http';
import type { Authenticator, Caller } from './auth.js';
import type { RepoEvents } from './events.js';
import type { Site } from './shapes.js';
import type { Store } from './store.js';
import type { Webhooks } from './webhooks.js';

export interface Reply {
  status: number;
  json?: unknown;
  headers?: Record<string, string>;
}

export interface ApiRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  caller: Caller | undefined;
  /** For the upload, whose body is the asset's bytes rather than JSON. */
  raw: IncomingMessage;
}

export interface ApiDeps {
  site: Site;
  store: Store;
  gitRoot: string;
  auth: Authenticator;
  /** A URL that serves an asset's bytes without credentials, like GitHub's signed storage links. */
  signedAssetUrl: (assetId: number) => string;
  webhooks: Webhooks;
  events: RepoEvents;
}
