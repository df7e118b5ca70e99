/**
 * What a gateway process serves, from its flags or its environment (the systemd unit, `relforge stack up`, tests):
 * where it listens, the Temporal service, the projects whose events it routes, and where the webhook secret is kept.
 * One zod schema says what is valid; a refusal names the flag and the variable, never a secret's value.
 */
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readSecretRef, SecretRef } from '@relforge/config';
import { InputError, formatIssuePath } from '@relforge/errors';
import { TemporalSettings, temporalSettingsFromEnv, tlsConfig } from '@relforge/temporal-connection';
import { z } from 'zod';
import { approvalFlags, approvalSettings, type ApprovalSettings } from './approval-settings.js';
import { defaultRequestsPerMinute, defaultSocketsPerClient } from './client-limits.js';

export const defaultListen = '127.0.0.1:7090';

const wholeNumber = (example: number) =>
  z
    .number({ error: `expected a whole number such as ${example}` })
    .int(`expected a whole number such as ${example}`)
    .min(1, 'expected 1 or more');

/** A proxy's address, or a network of them in CIDR form (`10.0.0.0/8`, `fd00::/8`). */
function isAddressOrNetwork(text: string): boolean {
  const [address = '', bits, ...rest] = text.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

export const GatewaySettings = z.object({
  listen: z
    .object({
      host: z.string().min(1),
      port: z.number().int().min(0).max(65_535),
    })
    .meta({ description: 'Where the HTTP server listens; behind a TLS proxy in production.' }),
  temporal: TemporalSettings.meta({ description: 'The Temporal service the releases run on, as the worker reads it.' }),
  projects: z
    .array(z.string().min(1))
    .min(1, 'give at least one project config: the gateway routes events only for the projects it is told of')
    .meta({
      description:
        "The projects' config files: their source and release repositories and release tag template route events.",
    }),
  webhookSecret: SecretRef.meta({
    description: "Where the GitHub webhook's secret is kept: {env: VARIABLE} or {file: PATH}, never the secret itself.",
  }),
  natsUrl: z
    .string()
    .regex(/^(nats|tls):\/\/[^/\s]+$/, 'expected nats://host:port')
    .optional()
    .meta({
      description:
        "The NATS server whose JetStream holds the release events (the workers' RELFORGE_NATS_URL); also keeps the audit trail. Without it the board lists releases from Temporal and says events are off, and dispatch is refused.",
    }),
  temporalUiUrl: z
    .url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:8233' })
    .optional()
    .meta({ description: "The Temporal Web UI's base URL, for the board's links to each release's workflow." }),
  /** Approvals and signing in (approval-settings.ts): checked there, with their own messages. */
  approvals: z.custom<ApprovalSettings>(),
  forgeToken: SecretRef.optional().meta({
    description:
      "Where the gateway's own forge token is kept: it looks up callers' roles and team memberships and answers issue comments. Without it dispatch is refused.",
  }),
  publicUrl: z.url().optional().meta({
    description: 'Where people reach the gateway (the board), for links in issue-comment replies.',
  }),
  requestsPerMinute: wholeNumber(defaultRequestsPerMinute).meta({
    description:
      'Requests one client address may make a minute, all at once if it likes; beyond it the gateway answers 429 with Retry-After. GitHub deliveries and health checks are not counted.',
  }),
  socketsPerClient: wholeNumber(defaultSocketsPerClient).meta({
    description: 'Event WebSockets (/api/events) one client address may hold open at once; beyond it 429.',
  }),
  trustProxy: z
    .array(z.string().refine(isAddressOrNetwork, 'expected an IP address or a network such as 10.0.0.0/8'))
    .optional()
    .meta({
      description:
        "The TLS proxies in front of the gateway, by address or network: a request from one of them is counted against the client its X-Forwarded-For names, not against the proxy. Unset: each request's own peer address.",
    }),
});
export type GatewaySettings = z.infer<typeof GatewaySettings>;

/** The flag and the variable of each setting, for messages: a person fixes the one they used. */
const names: Record<string, string> = {
  forgeToken: '--forge-token-env or --forge-token-file (RELFORGE_GATEWAY_TOKEN_ENV, RELFORGE_GATEWAY_TOKEN_FILE)',
  publicUrl: '--public-url (RELFORGE_GATEWAY_PUBLIC_URL)',
  listen: '--listen (RELFORGE_GATEWAY_LISTEN)',
  projects: '--config (RELFORGE_PROJECTS)',
  webhookSecret:
    '--webhook-secret-env or --webhook-secret-file (RELFORGE_WEBHOOK_SECRET_ENV, RELFORGE_WEBHOOK_SECRET_FILE)',
  natsUrl: '--nats-url (RELFORGE_NATS_URL)',
  temporalUiUrl: '--temporal-ui-url (RELFORGE_TEMPORAL_UI_URL)',
  requestsPerMinute: '--requests-per-minute (RELFORGE_GATEWAY_REQUESTS_PER_MINUTE)',
  socketsPerClient: '--sockets-per-client (RELFORGE_GATEWAY_SOCKETS_PER_CLIENT)',
  trustProxy: '--trust-proxy (RELFORGE_GATEWAY_TRUST_PROXY)',
};

const fixes: Record<string, string> = {
  forgeToken:
    "name the variable or the file that holds the gateway's forge token, e.g. --forge-token-env RELFORGE_GATEWAY_TOKEN",
  publicUrl: 'give the URL people open the board at, e.g. https://relforge.example.org',
  listen: `give host:port, e.g. ${defaultListen}, or 0.0.0.0:7090 behind a TLS proxy`,
  projects:
    'pass --config <file> for each project (the same files its worker releases), or set RELFORGE_PROJECTS=<file>,<file>',
  webhookSecret:
    "name the variable or the file that holds the secret you gave GitHub's webhook, e.g. --webhook-secret-file /etc/relforge/github-webhook-secret",
  natsUrl:
    'give the NATS server your workers log release events to, e.g. --nats-url nats://127.0.0.1:7222, or leave it unset',
  temporalUiUrl:
    'give the Web UI of your Temporal service, e.g. --temporal-ui-url http://127.0.0.1:8233, or leave it unset',
  requestsPerMinute: `give how many requests a client address may make a minute, e.g. ${defaultRequestsPerMinute} (the default)`,
  socketsPerClient: `give how many event WebSockets a client address may hold open, e.g. ${defaultSocketsPerClient} (the default)`,
  trustProxy: 'give the addresses of your TLS proxies, comma-separated, e.g. --trust-proxy 127.0.0.1,10.0.0.0/8',
};

function listenAddress(text: string): unknown {
  const match = /^(.+):(\d{1,5})$/.exec(text);
  return match ? { host: match[1], port: Number(match[2]) } : text;
}

/** A count as given: a number when it is all digits, else the text itself, which the schema refuses. */
const count = (text: string | undefined, fallback: number): unknown =>
  text === undefined ? fallback : /^\d+$/.test(text.trim()) ? Number(text) : text;

const listed = (value: string | undefined) =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** The settings from argv and the environment: flags win over variables; bad input is an InputError naming the field. */
export function gatewaySettings(argv: string[], env: NodeJS.ProcessEnv = process.env): GatewaySettings {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        listen: { type: 'string' },
        config: { type: 'string', multiple: true },
        'temporal-address': { type: 'string' },
        namespace: { type: 'string' },
        'webhook-secret-env': { type: 'string' },
        'webhook-secret-file': { type: 'string' },
        'nats-url': { type: 'string' },
        'temporal-ui-url': { type: 'string' },
        ...approvalFlags,
        'forge-token-env': { type: 'string' },
        'forge-token-file': { type: 'string' },
        'requests-per-minute': { type: 'string' },
        'sockets-per-client': { type: 'string' },
        'trust-proxy': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new InputError(error instanceof Error ? error.message : String(error), {
      fix: 'flags: --listen host:port, --config <file> (repeat), --temporal-address, --namespace, --webhook-secret-env <VARIABLE> or --webhook-secret-file <path>, --nats-url nats://host:port, --temporal-ui-url <URL>, --requests-per-minute <n>, --sockets-per-client <n>, --trust-proxy <addresses>',
    });
  }
  const secretEnv = values['webhook-secret-env'] ?? (env['RELFORGE_WEBHOOK_SECRET_ENV'] || undefined);
  const secretFile = values['webhook-secret-file'] ?? (env['RELFORGE_WEBHOOK_SECRET_FILE'] || undefined);
  if (secretEnv !== undefined && secretFile !== undefined) {
    throw new InputError(`${names['webhookSecret']}: give one of them, not both`, {
      fix: fixes['webhookSecret'] ?? '',
    });
  }
  const tokenEnv = values['forge-token-env'] ?? (env['RELFORGE_GATEWAY_TOKEN_ENV'] || undefined);
  const tokenFile = values['forge-token-file'] ?? (env['RELFORGE_GATEWAY_TOKEN_FILE'] || undefined);
  const publicUrl = values['public-url'] ?? (env['RELFORGE_GATEWAY_PUBLIC_URL'] || undefined);
  const temporal = temporalSettingsFromEnv({
    ...env,
    ...(values['temporal-address'] ? { RELFORGE_TEMPORAL_ADDRESS: values['temporal-address'] } : {}),
    ...(values.namespace ? { RELFORGE_NAMESPACE: values.namespace } : {}),
  });
  const configs = values.config?.length ? values.config : listed(env['RELFORGE_PROJECTS']);
  const trustProxy = values['trust-proxy'] ?? (env['RELFORGE_GATEWAY_TRUST_PROXY'] || undefined);
  const parsed = GatewaySettings.safeParse({
    listen: listenAddress(values.listen ?? (env['RELFORGE_GATEWAY_LISTEN'] || defaultListen)),
    temporal,
    projects: configs.map((path) => resolve(path)),
    webhookSecret:
      secretEnv !== undefined ? { env: secretEnv } : secretFile !== undefined ? { file: secretFile } : undefined,
    natsUrl: values['nats-url'] ?? (env['RELFORGE_NATS_URL'] || undefined),
    temporalUiUrl: (values['temporal-ui-url'] ?? (env['RELFORGE_TEMPORAL_UI_URL'] || undefined))?.replace(/\/+$/, ''),
    approvals: approvalSettings(values, env),
    ...(tokenEnv !== undefined
      ? { forgeToken: { env: tokenEnv } }
      : tokenFile !== undefined
        ? { forgeToken: { file: tokenFile } }
        : {}),
    ...(publicUrl !== undefined ? { publicUrl } : {}),
    requestsPerMinute: count(
      values['requests-per-minute'] ?? (env['RELFORGE_GATEWAY_REQUESTS_PER_MINUTE'] || undefined),
      defaultRequestsPerMinute,
    ),
    socketsPerClient: count(
      values['sockets-per-client'] ?? (env['RELFORGE_GATEWAY_SOCKETS_PER_CLIENT'] || undefined),
      defaultSocketsPerClient,
    ),
    ...(trustProxy !== undefined ? { trustProxy: listed(trustProxy) } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const where = formatIssuePath(issue?.path.slice(1) ?? []);
    const message = field === 'listen' && where === '' ? 'expected host:port' : (issue?.message ?? 'invalid');
    throw new InputError(`${names[field] ?? field}${where ? ` ${where}` : ''}: ${message}`, {
      fix: fixes[field] ?? `correct ${field}`,
    });
  }
  // The certificate files are read and checked now, so a bad one stops the start instead of the first delivery.
  tlsConfig(parsed.data.temporal);
  return parsed.data;
}

/** The webhook secret's value, read once at start: missing or empty stops the gateway, naming where it looked. */
export function readWebhookSecret(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  return readSecret(ref, env, 'webhook secret', fixes['webhookSecret'] ?? '');
}

/** The gateway's forge token, read once at start, like the webhook secret. */
export function readForgeToken(ref: SecretRef, env: NodeJS.ProcessEnv = process.env): string {
  return readSecret(ref, env, 'forge token', fixes['forgeToken'] ?? '');
}

/**
 * A secret's value, read once at start: missing or empty stops the gateway, naming where it looked, never the value.
 * One reader for every secret the gateway holds (webhook secret, forge token, session secret, OAuth client secret).
 */
export function readSecret(
  ref: SecretRef,
  env: NodeJS.ProcessEnv,
  what: string,
  fix = 'env' in ref ? `set ${ref.env}` : `write the ${what} into ${ref.file}`,
): string {
  const read = readSecretRef(ref, env);
  if ('value' in read) return read.value;
  switch (read.problem) {
    case 'unset':
      throw new InputError(`${what}: environment variable ${read.variable} is not set`, { fix });
    case 'unreadable':
      throw new InputError(`${what}: file ${read.file} cannot be read (${read.code})`, {
        fix: `create ${read.file}, readable by the gateway's user, holding the ${what}`,
      });
    case 'empty':
      throw new InputError(`${what}: file ${read.file} is empty`, { fix });
  }
}
