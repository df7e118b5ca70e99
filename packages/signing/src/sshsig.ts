/**
 * Detached file signatures in OpenSSH's SSHSIG format (PROTOCOL.sshsig), armored as `ssh-keygen -Y sign` writes them,
 * so anyone verifies a release file offline with the stock `ssh-keygen -Y verify` and an allowed_signers file.
 */
import { createHash } from 'node:crypto';
import { RelforgeError } from '@relforge/errors';
import { ReleaseKeyError, ReleasePublicKey, type ReleaseKey } from './keys.js';
import { sshString, uint32, WireError, WireReader } from './wire.js';

/**
 * The SSHSIG namespace of Relforge's release signatures: a signature made for another purpose (a git commit, `file`)
 * never verifies as a release file's, and `ssh-keygen -Y verify -n relforge-release` accepts only these.
 */
export const signatureNamespace = 'relforge-release';

const preamble = Buffer.from('SSHSIG', 'latin1');
const armorBegin = '-----BEGIN SSH SIGNATURE-----';
const armorEnd = '-----END SSH SIGNATURE-----';
/** ssh-keygen's default; the hash of the file, not the file, is what ed25519 signs. */
const hashAlgorithm = 'sha512';

/** A signature that does not verify, or is not an SSHSIG signature at all. */
export class SignatureError extends RelforgeError {}

function signedData(message: Buffer, namespace: string, algorithm: string): Buffer {
  return Buffer.concat([
    preamble,
    sshString(namespace),
    sshString(''),
    sshString(algorithm),
    sshString(createHash(algorithm).update(message).digest()),
  ]);
}

/** The key a signature names; one Relforge never signs with makes the signature not a release signature. */
function signerOf(blob: Buffer, name: string): ReleasePublicKey {
  try {
    return ReleasePublicKey.fromBlob(blob, `the key in ${name}`);
  } catch (error) {
    if (!(error instanceof ReleaseKeyError)) throw error;
    throw new SignatureError(`${name}: ${error.message}`, {
      fix: "this is not a release signature of this project: check the project's published allowed_signers",
    });
  }
}

/** The armored SSHSIG signature of `message`, the text of a `.sig` file. Deterministic for a key and a message. */
export function signFile(key: ReleaseKey, message: Buffer | string, namespace = signatureNamespace): string {
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  const signature = key.sign(signedData(bytes, namespace, hashAlgorithm));
  const blob = Buffer.concat([
    preamble,
    uint32(1),
    sshString(key.publicKey.blob),
    sshString(namespace),
    sshString(''),
    sshString(hashAlgorithm),
    sshString(Buffer.concat([sshString('ssh-ed25519'), sshString(signature)])),
  ]);
  const lines = blob.toString('base64').match(/.{1,70}/g) ?? [];
  return [armorBegin, ...lines, armorEnd, ''].join('\n');
}

/**
 * Checks an armored SSHSIG signature of `message` in `namespace` and returns the key that made it, which must be one
 * of `trusted`. `name` says which signature it is, for the error.
 */
export function verifyFileSignature(
  armored: string,
  message: Buffer | string,
  trusted: readonly ReleasePublicKey[],
  options: { name: string; namespace?: string },
): ReleasePublicKey {
  const { name } = options;
  const namespace = options.namespace ?? signatureNamespace;
  const bytes = typeof message === 'string' ? Buffer.from(message, 'utf8') : message;
  const refuse = (why: string, fix: string) => new SignatureError(`${name}: ${why}`, { fix });
  const body = armored.trim();
  if (!body.startsWith(armorBegin) || !body.endsWith(armorEnd))
    throw refuse('not an SSH signature (no BEGIN SSH SIGNATURE armor)', 'download the .sig file again');
  const blob = Buffer.from(body.slice(armorBegin.length, -armorEnd.length).replace(/\s+/g, ''), 'base64');
  try {
    const reader = new WireReader(blob);
    if (!reader.raw(preamble.length).equals(preamble) || reader.uint32() !== 1)
      throw refuse('not an SSHSIG version 1 signature', 'download the .sig file again');
    const signer = signerOf(reader.string(), name);
    const signedNamespace = reader.text();
    reader.string();
    const algorithm = reader.text();
    const signature = new WireReader(reader.string());
    if (signedNamespace !== namespace)
      throw refuse(
        `signed for namespace "${signedNamespace}", not "${namespace}"`,
        'this is not a release signature of this project',
      );
    if (algorithm !== 'sha512' && algorithm !== 'sha256')
      throw refuse(`hashes with ${algorithm}, which SSHSIG does not allow`, 'download the .sig file again');
    if (
      signature.text() !== 'ssh-ed25519' ||
      !signer.verifies(signedData(bytes, namespace, algorithm), signature.string())
    )
      throw refuse(
        'the signature does not match the file',
        'the file or its signature changed after signing: download both again, and do not use the file if it persists',
      );
    if (!trusted.some((key) => key.equals(signer)))
      throw refuse(
        `signed by ${signer.fingerprint}, which is not the project's release key`,
        "check the project's published allowed_signers; a key change is announced in its checksum repository",
      );
    return signer;
  } catch (error) {
    if (error instanceof WireError) throw refuse('the signature is truncated', 'download the .sig file again');
    throw error;
  }
}
