/**
 * The allowed_signers file (ssh-keygen(1) "ALLOWED SIGNERS") that tells `ssh-keygen -Y verify` which key may sign
 * a project's release files, and only in Relforge's namespace.
 */
import { ReleasePublicKey } from './keys.js';
import { signatureNamespace } from './sshsig.js';

/** The one entry of a project: `<principal> namespaces="relforge-release" ssh-ed25519 AAAA…`. */
export function allowedSignersLine(principal: string, key: ReleasePublicKey): string {
  if (!/^[^\s,*?!"]+$/.test(principal)) throw new Error(`"${principal}" cannot be an allowed_signers principal`);
  return `${principal} namespaces="${signatureNamespace}" ${key.line}`;
}

/** The whole file for a project: a comment saying what it is and how to use it, then its entry. */
export function allowedSignersText(principal: string, key: ReleasePublicKey, sums = '<file>'): string {
  return [
    `# The release key of ${principal}. Verify a release file with:`,
    `#   ssh-keygen -Y verify -f allowed_signers -I ${principal} -n ${signatureNamespace} -s ${sums}.sig < ${sums}`,
    allowedSignersLine(principal, key),
    '',
  ].join('\n');
}

export interface AllowedSigner {
  principals: string[];
  namespaces?: string[];
  publicKey: ReleasePublicKey;
}

/**
 * The entries of an allowed_signers file; comments and blank lines are skipped. `name` says which file it is, for
 * the errors of keys Relforge cannot use.
 */
export function parseAllowedSigners(text: string, name: string): AllowedSigner[] {
  const signers: AllowedSigner[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const keyAt = fields.findIndex((field, at) => at > 0 && /^(ssh-|ecdsa-|sk-)/.test(field));
    const principals = fields[0]?.split(',') ?? [];
    const options = fields.slice(1, keyAt < 0 ? 1 : keyAt).join(' ');
    const namespaces = /namespaces="([^"]*)"/.exec(options)?.[1]?.split(',');
    const publicKey = ReleasePublicKey.parse(
      fields.slice(keyAt < 0 ? 1 : keyAt).join(' '),
      `${name} line ${index + 1}`,
    );
    signers.push({ principals, ...(namespaces ? { namespaces } : {}), publicKey });
  });
  return signers;
}
