/**
 * Which Temporal service a Relforge process talks to: the address, the namespace and, for a production cluster,
 * mTLS. Workers and the CLI read the same RELFORGE_TEMPORAL_* variables through this one module, and every
 * certificate is checked here (readable, a PEM, not expired) so a bad one is named before a connection fails
 * with a bare TLS handshake error.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import { InputError, StackError } from '@relforge/errors';
import { z } from 'zod';

export const tlsVariables = {
  caFile: 'RELFORGE_TEMPORAL_TLS_CA',
  certFile: 'RELFORGE_TEMPORAL_TLS_CERT',
  keyFile: 'RELFORGE_TEMPORAL_TLS_KEY',
  serverName: 'RELFORGE_TEMPORAL_TLS_SERVER_NAME',
} as const;

export const TemporalSettings = z.object({
  address: z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port, e.g. temporal.example.org:7233'),
  namespace: z.string().min(1, 'expected a namespace name, e.g. relforge'),
  /** Files, not contents: a path in a process listing or an error message gives nothing away. */
  tls: z
    .object({
      caFile: z.string().min(1).optional(),
      certFile: z.string().min(1),
      keyFile: z.string().min(1),
      serverName: z.string().min(1).optional(),
    })
    .optional(),
});
export type TemporalSettings = z.infer<typeof TemporalSettings>;

/** Temporal's own default address; the namespace Relforge registers. */
export const defaultTemporalSettings = { address: '127.0.0.1:7233', namespace: 'relforge' } as const;

/**
 * The settings in `env`, each field falling back to `fallback` (the CLI passes the local stack's, a worker
 * passes nothing). A half-given client certificate is refused rather than silently connecting without TLS.
 */
export function temporalSettingsFromEnv(
  env: NodeJS.ProcessEnv,
  fallback: Partial<Pick<TemporalSettings, 'address' | 'namespace'>> = {},
): TemporalSettings {
  const value = (name: string) => (env[name] === '' ? undefined : env[name]);
  const certFile = value(tlsVariables.certFile);
  const keyFile = value(tlsVariables.keyFile);
  const caFile = value(tlsVariables.caFile);
  const serverName = value(tlsVariables.serverName);
  if ((certFile === undefined) !== (keyFile === undefined)) {
    const [given, missing] = certFile
      ? [tlsVariables.certFile, tlsVariables.keyFile]
      : [tlsVariables.keyFile, tlsVariables.certFile];
    throw new InputError(`${given} is set but ${missing} is not`, {
      fix: `set both to the client certificate and its key (PEM files), or neither for a server without mTLS`,
    });
  }
  if (!certFile && (caFile || serverName)) {
    throw new InputError(
      `${caFile ? tlsVariables.caFile : tlsVariables.serverName} is set without a client certificate`,
      {
        fix: `set ${tlsVariables.certFile} and ${tlsVariables.keyFile} too: Relforge's production server requires mTLS`,
      },
    );
  }
  const candidate = {
    address: value('RELFORGE_TEMPORAL_ADDRESS') ?? fallback.address ?? defaultTemporalSettings.address,
    namespace: value('RELFORGE_NAMESPACE') ?? fallback.namespace ?? defaultTemporalSettings.namespace,
    ...(certFile && keyFile
      ? { tls: { certFile, keyFile, ...(caFile ? { caFile } : {}), ...(serverName ? { serverName } : {}) } }
      : {}),
  };
  const parsed = TemporalSettings.safeParse(candidate);
  if (!parsed.success) {
    const names: Record<string, string> = { address: 'RELFORGE_TEMPORAL_ADDRESS', namespace: 'RELFORGE_NAMESPACE' };
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'address');
    throw new InputError(`${names[field] ?? field}: ${issue?.message ?? 'invalid'}`, {
      fix: `correct ${names[field] ?? field}, or unset it for the default`,
    });
  }
  return parsed.data;
}

function readPem(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    throw new InputError(`${variable}: cannot read ${path} (${code})`, {
      fix: `point ${variable} at a PEM file this user can read`,
      cause: error,
    });
  }
}

/** A certificate that has expired or is not valid yet fails the handshake with no word of why: say it here. */
function checkValidity(pem: Buffer, path: string, variable: string, now: Date): void {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    throw new InputError(`${variable}: ${path} is not a PEM certificate`, {
      fix: `point ${variable} at the certificate file (-----BEGIN CERTIFICATE-----), not its key or a bundle of another kind`,
      cause: error,
    });
  }
  const notAfter = new Date(certificate.validTo);
  const notBefore = new Date(certificate.validFrom);
  if (notAfter < now) {
    throw new InputError(`${variable}: the certificate in ${path} expired on ${notAfter.toISOString()}`, {
      fix: 'issue a new certificate from the cluster CA (infra/production/certs.sh does it for the test CA) and restart',
    });
  }
  if (notBefore > now) {
    throw new InputError(`${variable}: the certificate in ${path} is not valid until ${notBefore.toISOString()}`, {
      fix: "check this machine's clock, or issue a certificate valid from now",
    });
  }
}

/** The SDK's TLS options from the settings' files, each checked first; undefined without TLS. */
export function tlsConfig(settings: TemporalSettings, now = new Date()): TLSConfig | undefined {
  const { tls } = settings;
  if (!tls) return undefined;
  const crt = readPem(tls.certFile, tlsVariables.certFile);
  checkValidity(crt, tls.certFile, tlsVariables.certFile, now);
  const key = readPem(tls.keyFile, tlsVariables.keyFile);
  const ca = tls.caFile ? readPem(tls.caFile, tlsVariables.caFile) : undefined;
  if (ca && tls.caFile) checkValidity(ca, tls.caFile, tlsVariables.caFile, now);
  return {
    clientCertPair: { crt, key },
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
  };
}

/** Connect-time failures, explained: where it tried, and what usually causes it. */
export function unreachable(settings: TemporalSettings, error: unknown, fix: string): StackError {
  const detail = error instanceof Error ? error.message : String(error);
  const tlsHint = settings.tls
    ? ` (with mTLS: ${tlsVariables.certFile}=${settings.tls.certFile}; a refused handshake means a certificate the server does not trust)`
    : ` (without TLS; a server that requires mTLS needs ${tlsVariables.certFile} and ${tlsVariables.keyFile})`;
  return new StackError(`cannot reach Temporal at ${settings.address}${tlsHint}: ${detail}`, { fix, cause: error });
}

export interface ConnectedClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** A connection, after one call that proves it: a TLS refusal surfaces here with its cause. */
export async function connectTemporal(settings: TemporalSettings, fix: string): Promise<Connection> {
  const tls = tlsConfig(settings);
  try {
    const connection = await Connection.connect({
      address: settings.address,
      connectTimeout: 5_000,
      ...(tls ? { tls } : {}),
    });
    await connection.workflowService.getSystemInfo({});
    return connection;
  } catch (error) {
    throw unreachable(settings, error, fix);
  }
}

/**
 * A client of the namespace, after one call that proves the connection: a TLS refusal or a missing namespace
 * surfaces here, with its cause, rather than on the first real request.
 */
export async function connectClient(settings: TemporalSettings, fix: string): Promise<ConnectedClient> {
  const connection = await connectTemporal(settings, fix);
  try {
    await connection.workflowService.describeNamespace({ namespace: settings.namespace });
  } catch (error) {
    await connection.close();
    throw new StackError(`Temporal at ${settings.address} has no namespace "${settings.namespace}"`, {
      fix: `create it (\`temporal operator namespace create ${settings.namespace}\`; infra/production/README.md), or set RELFORGE_NAMESPACE`,
      cause: error,
    });
  }
  return {
    client: new Client({ connection, namespace: settings.namespace }),
    connection,
    close: () => connection.close(),
  };
}

/** A workflow's page in the Temporal Web UI at `uiUrl`. */
export function workflowUiUrl(target: { uiUrl: string; namespace: string }, workflowId: string): string {
  return `${target.uiUrl}/namespaces/${encodeURIComponent(target.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
