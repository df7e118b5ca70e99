#!/usr/bin/env node
/**
 * The gateway process as systemd, `relforge stack up` or a test starts it: flags or RELFORGE_* variables (see
 * settings.ts), then it listens until SIGTERM or SIGINT. Bad input exits 2 before it listens, naming the field.
 */
import type { AddressInfo } from 'node:net';
import { InputError, isRelforgeError } from '@relforge/errors';
import { randomBytes } from 'node:crypto';
import { ForgePeople } from './forge-people.js';
import { JetStreamEventLog } from '@relforge/release-events/jetstream';
import { ProjectRoutes } from './projects.js';
import { CookieSeal } from './session-cookie.js';
import { buildGateway } from './server.js';
import { AuditLog } from '@relforge/audit';
import { gatewaySettings, readForgeToken, readSecret, readWebhookSecret } from './settings.js';
import { TemporalLink } from './temporal.js';

function exitFor(error: unknown): never {
  console.error(`relforge gateway: ${error instanceof Error ? error.message : String(error)}`);
  if (isRelforgeError(error)) console.error(`  fix: ${error.fix}`);
  // The exit codes of `relforge` (docs/operating.md): bad input 2, a server that cannot be reached or bound 3, a bug 70.
  process.exit(error instanceof InputError ? 2 : isRelforgeError(error) ? 3 : 70);
}

let started;
try {
  const settings = gatewaySettings(process.argv.slice(2), process.env);
  const routes = await ProjectRoutes.load(settings.projects, process.env);
  const webhookSecret = readWebhookSecret(settings.webhookSecret, process.env);
  const temporal = new TemporalLink(settings.temporal);
  // Opened in the background, as a worker's: the gateway serves (and lists releases) while NATS is still down.
  const events = settings.natsUrl
    ? JetStreamEventLog.open(settings.natsUrl, {
        name: 'relforge-gateway',
        onWaiting: (reason) =>
          console.error(
            `relforge gateway: waiting for NATS at ${settings.natsUrl} (${reason}); the board's events wait`,
          ),
      })
    : undefined;
  const { approvals } = settings;
  const listened = `http://${settings.listen.host}:${settings.listen.port}`;
  // Without a session secret, cookies are sealed under a key of this process: sessions end when it restarts.
  const sessionSecret = approvals.sessionSecret
    ? readSecret(approvals.sessionSecret, process.env, 'session secret')
    : randomBytes(32).toString('hex');
  const forgeToken = settings.forgeToken ? readForgeToken(settings.forgeToken, process.env) : undefined;
  const forge = new ForgePeople(forgeToken);
  const people = {
    forge: forge.at(approvals.apiUrl),
    seal: new CookieSeal(sessionSecret, (approvals.publicUrl ?? listened).startsWith('https:')),
    webUrl: approvals.webUrl,
    ...(approvals.oauth
      ? {
          oauth: {
            clientId: approvals.oauth.clientId,
            clientSecret: readSecret(approvals.oauth.clientSecret, process.env, 'OAuth client secret'),
          },
        }
      : {}),
    // A listen port of 0 is known only once bound.
    publicUrl: () => {
      if (approvals.publicUrl) return approvals.publicUrl;
      const bound = app.server.address() as AddressInfo | null;
      return bound ? `http://${settings.listen.host}:${bound.port}` : listened;
    },
  };
  const audit = settings.natsUrl
    ? await AuditLog.connect(settings.natsUrl, settings.temporal.namespace, 'relforge-gateway')
    : undefined;
  await audit?.ensureStream();
  const app = await buildGateway({
    routes,
    temporal,
    webhookSecret,
    people,
    ...(events ? { events } : {}),
    ...(settings.temporalUiUrl ? { temporalUiUrl: settings.temporalUiUrl } : {}),
    ...(audit ? { audit } : {}),
    forge,
    publicUrl: settings.publicUrl ?? `http://${settings.listen.host}:${settings.listen.port}`,
    limits: { requestsPerMinute: settings.requestsPerMinute, socketsPerClient: settings.socketsPerClient },
    ...(settings.trustProxy ? { trustProxy: settings.trustProxy } : {}),
  });
  started = { app, temporal, settings, routes, events, audit };
} catch (error) {
  exitFor(error);
}
const { app, temporal, settings, routes, events, audit } = started;
try {
  await app.listen({ host: settings.listen.host, port: settings.listen.port });
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  console.error(
    `relforge gateway: cannot listen on ${settings.listen.host}:${settings.listen.port} (${code ?? String(error)})`,
  );
  console.error(
    '  fix: stop whatever listens there, or choose another address with --listen or RELFORGE_GATEWAY_LISTEN',
  );
  process.exit(3);
}
const where = `${temporal.settings.address}${temporal.settings.tls ? ' (mTLS)' : ''}, namespace ${temporal.settings.namespace}`;
const bound = app.server.address() as AddressInfo;
console.log(`relforge gateway: listening on http://${bound.address}:${bound.port}`);
console.log(`relforge gateway: routes GitHub events for ${routes.projects.join(', ')}; Temporal ${where}`);
console.log(
  `relforge gateway: the board at http://${bound.address}:${bound.port}/; release events ${events ? `from ${settings.natsUrl}` : 'off (no --nats-url)'}`,
);
// Connect now rather than at the first delivery; a Temporal still down shows in /readyz and is retried on need.
temporal
  .client()
  .catch((error: unknown) =>
    console.error(`relforge gateway: ${error instanceof Error ? error.message : String(error)}`),
  );

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    // In-flight deliveries finish first; GitHub waits up to 10 s for an answer.
    void app
      .close()
      .then(() => events?.close())
      .then(() => temporal.close())
      .then(() => audit?.close())
      .then(() => process.exit(0));
  });
}
