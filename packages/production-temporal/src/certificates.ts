/**
 * The server's side of mutual TLS: its certificate, key and CAs checked before it
 * starts, so an expired, missing or mismatched file is named instead of surfacing
 * as a handshake failure in every client. Clients check theirs in
 * @relforge/temporal-connection.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '@relforge/errors';

/** Where a PEM file comes from, for the error that names it: "the server certificate (TEMPORAL_TLS_SERVER_CERT)". */
export interface PemSetting {
  what: string;
  variable: string;
}

function readPem(path: string, setting: PemSetting): string {
  if (!path) {
    throw new InputError(`${setting.what} is not set`, {
      fix: `set ${setting.variable} to a PEM file (\`bash infra/production/certs.sh DIR\` makes a set)`,
    });
  }
  if (!existsSync(path)) {
    throw new InputError(`${setting.what} ${path} does not exist`, {
      fix: `point ${setting.variable} at an existing PEM file, or make a set with \`bash infra/production/certs.sh DIR\``,
    });
  }
  return readFileSync(path, 'utf8');
}

/** A certificate file present and in date. */
export function assertCertificate(path: string, setting: PemSetting): X509Certificate {
  const pem = readPem(path, setting);
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    throw new InputError(`${setting.what} ${path} is not a PEM certificate`, {
      fix: `point ${setting.variable} at the certificate (BEGIN CERTIFICATE), not its key or a request`,
    });
  }
  const now = Date.now();
  if (Date.parse(certificate.validTo) <= now) {
    throw new InputError(`${setting.what} ${path} expired on ${certificate.validTo}`, {
      fix: `renew it (e.g. \`bash infra/production/certs.sh DIR\` for a new set), update ${setting.variable}, then restart`,
    });
  }
  if (Date.parse(certificate.validFrom) > now) {
    throw new InputError(`${setting.what} ${path} is not valid before ${certificate.validFrom}`, {
      fix: `check this machine's clock, or issue the certificate with a start date in the past`,
    });
  }
  return certificate;
}

/** A certificate, its key and the CA meant to have signed it: each present, in date, and belonging together. */
export function assertCertificateChain(
  cert: { path: string; setting: PemSetting },
  key: { path: string; setting: PemSetting },
  ca: { path: string; setting: PemSetting },
): void {
  const authority = assertCertificate(ca.path, ca.setting);
  const certificate = assertCertificate(cert.path, cert.setting);
  const keyPem = readPem(key.path, key.setting);
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    matches = false;
  }
  if (!matches) {
    throw new InputError(`${key.setting.what} ${key.path} is not the key of ${cert.path}`, {
      fix: `point ${key.setting.variable} at the key made with that certificate`,
    });
  }
  if (!certificate.checkIssued(authority) || !certificate.verify(authority.publicKey)) {
    throw new InputError(`${cert.setting.what} ${cert.path} is not signed by ${ca.path}`, {
      fix: `use a certificate issued by that CA, or point ${ca.setting.variable} at the CA that issued it`,
    });
  }
}
