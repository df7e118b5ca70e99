import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '@relforge/errors';
import { temporalSettingsFromEnv, tlsConfig } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real self-signed certificate from openssl, valid for one day from now. */
function certificate(name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
    ]),
    { stdio: 'ignore' },
  );
  return { certFile, keyFile };
}

function refusal(run: () => unknown): InputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('Temporal settings from the environment', () => {
  it('defaults to Temporal’s address and the relforge namespace, with no TLS', () => {
    expect(temporalSettingsFromEnv({})).toEqual({ address: '127.0.0.1:7233', namespace: 'relforge' });
  });

  it('takes the variables over the fallback, and the fallback over the defaults', () => {
    expect(
      temporalSettingsFromEnv({ RELFORGE_NAMESPACE: 'prod' }, { address: '127.0.0.1:9999', namespace: 'x' }),
    ).toEqual({
      address: '127.0.0.1:9999',
      namespace: 'prod',
    });
  });

  it('names the variable of an address that is not host:port', () => {
    const error = refusal(() => temporalSettingsFromEnv({ RELFORGE_TEMPORAL_ADDRESS: 'http://temporal:7233' }));
    expect(error.message).toBe('RELFORGE_TEMPORAL_ADDRESS: expected host:port, e.g. temporal.example.org:7233');
  });

  it('refuses a certificate without its key, and a CA without a client certificate', () => {
    expect(refusal(() => temporalSettingsFromEnv({ RELFORGE_TEMPORAL_TLS_CERT: '/c.pem' })).message).toBe(
      'RELFORGE_TEMPORAL_TLS_CERT is set but RELFORGE_TEMPORAL_TLS_KEY is not',
    );
    expect(refusal(() => temporalSettingsFromEnv({ RELFORGE_TEMPORAL_TLS_CA: '/ca.pem' })).message).toBe(
      'RELFORGE_TEMPORAL_TLS_CA is set without a client certificate',
    );
  });
});

describe('TLS files', () => {
  const client = certificate('client');
  const ca = certificate('ca');
  const settings = {
    address: '127.0.0.1:7233',
    namespace: 'relforge',
    tls: { ...client, caFile: ca.certFile, serverName: 'temporal' },
  };

  it('reads the certificate pair and the CA into the SDK’s options', () => {
    const tls = tlsConfig(settings);
    expect(Buffer.from(tls?.clientCertPair?.crt ?? []).toString()).toContain('BEGIN CERTIFICATE');
    expect(Buffer.from(tls?.clientCertPair?.key ?? []).toString()).toContain('PRIVATE KEY');
    expect(Buffer.from(tls?.serverRootCACertificate ?? []).toString()).toContain('BEGIN CERTIFICATE');
    expect(tls?.serverNameOverride).toBe('temporal');
  });

  it('names the variable and the file of a certificate that cannot be read', () => {
    const error = refusal(() =>
      tlsConfig({ ...settings, tls: { ...settings.tls, certFile: join(dir, 'missing.pem') } }),
    );
    expect(error.message).toBe(`RELFORGE_TEMPORAL_TLS_CERT: cannot read ${join(dir, 'missing.pem')} (ENOENT)`);
  });

  it('refuses a key given where the certificate belongs', () => {
    const error = refusal(() => tlsConfig({ ...settings, tls: { ...settings.tls, certFile: client.keyFile } }));
    expect(error.message).toBe(`RELFORGE_TEMPORAL_TLS_CERT: ${client.keyFile} is not a PEM certificate`);
  });

  it('says when the client certificate has expired, with the date', () => {
    const later = new Date(Date.now() + 3 * 86_400_000);
    const error = refusal(() => tlsConfig(settings, later));
    expect(error.message).toMatch(
      /^RELFORGE_TEMPORAL_TLS_CERT: the certificate in .*client\.pem expired on \d{4}-\d\d-\d\dT/,
    );
    expect(error.fix).toContain('issue a new certificate');
  });

  it('never puts the key in an error, even when the key is given as the certificate', () => {
    const key = readFileSync(client.keyFile, 'utf8');
    const body = key.split('\n')[1] ?? '';
    expect(body.length).toBeGreaterThan(20);
    const error = refusal(() => tlsConfig({ ...settings, tls: { ...settings.tls, certFile: client.keyFile } }));
    expect(`${error.message}\n${error.fix}`).not.toContain(body);
    expect(`${error.message}\n${error.fix}`).not.toContain('PRIVATE KEY');
  });
});
