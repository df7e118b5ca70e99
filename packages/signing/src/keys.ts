/**
 * The project's release key: an unencrypted OpenSSH ed25519 private key (what `ssh-keygen -t ed25519 -N ''` writes,
 * PROTOCOL.key's "openssh-key-v1" format), read without writing it anywhere or running a program, and its public half
 * in the forms verifiers take: an OpenSSH public key line, its SHA256 fingerprint, and PEM (SPKI) for cosign.
 * Errors name where the key came from, never its bytes.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { RelforgeError } from '@relforge/errors';
import { sshString, uint32, WireError, WireReader } from './wire.js';

export const keyType = 'ssh-ed25519';

/** How a key for Relforge is made; every refusal of a key ends with it. */
export const keygenCommand = "ssh-keygen -t ed25519 -N '' -C relforge-release -f release-key";

/** A release key or public key that cannot be used; the message names where it came from and what is wrong. */
export class ReleaseKeyError extends RelforgeError {}

const privateArmor = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/;
const magic = Buffer.from('openssh-key-v1\0', 'latin1');

const jwkOf = (raw: Buffer) => ({ kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') });

/** The public half of a release key. */
export class ReleasePublicKey {
  readonly type = keyType;
  readonly #raw: Buffer;
  readonly #object: KeyObject;

  private constructor(raw: Buffer) {
    this.#raw = Buffer.from(raw);
    this.#object = createPublicKey({ key: jwkOf(raw), format: 'jwk' });
  }

  /** From the 32 bytes of an ed25519 public key. */
  static fromRaw(raw: Buffer): ReleasePublicKey {
    if (raw.length !== 32) throw new Error(`an ed25519 public key has 32 bytes, not ${raw.length}`);
    return new ReleasePublicKey(raw);
  }

  /**
   * From an OpenSSH public key line (`ssh-ed25519 AAAA… [comment]`, as in `release-key.pub`, `signing.follows` or an
   * allowed_signers entry without its principals) or a PEM (SPKI) public key. `name` says where it came from.
   */
  static parse(text: string, name: string): ReleasePublicKey {
    const trimmed = text.trim();
    if (trimmed.startsWith('-----BEGIN PUBLIC KEY-----')) {
      let object: KeyObject;
      try {
        object = createPublicKey({ key: trimmed, format: 'pem' });
      } catch {
        throw new ReleaseKeyError(`${name} is not a readable PEM public key`, {
          fix: `give the key's OpenSSH line (the contents of release-key.pub), or a PEM made from it`,
        });
      }
      if (object.asymmetricKeyType !== 'ed25519') throw unsupported(name, object.asymmetricKeyType ?? 'unknown');
      const { x } = object.export({ format: 'jwk' });
      return new ReleasePublicKey(Buffer.from(x ?? '', 'base64url'));
    }
    const [type, base64] = trimmed.split(/\s+/);
    if (!type || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
      throw new ReleaseKeyError(`${name} is not an OpenSSH public key line ("ssh-ed25519 AAAA…")`, {
        fix: 'copy the whole line of the key\'s .pub file, e.g. "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA… relforge-release"',
      });
    }
    if (type !== keyType) throw unsupported(name, type);
    return ReleasePublicKey.fromBlob(Buffer.from(base64, 'base64'), name);
  }

  /** From the SSH wire encoding of the key: string "ssh-ed25519", string key. */
  static fromBlob(blob: Buffer, name: string): ReleasePublicKey {
    try {
      const reader = new WireReader(blob);
      const type = reader.text();
      if (type !== keyType) throw unsupported(name, type);
      const raw = reader.string();
      if (raw.length === 32 && reader.done) return new ReleasePublicKey(raw);
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
    }
    throw new ReleaseKeyError(`${name} holds a damaged ed25519 public key`, {
      fix: 'copy the whole line of the key\'s .pub file again, e.g. "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA…"',
    });
  }

  /** The 32 bytes of the ed25519 key. */
  get raw(): Buffer {
    return Buffer.from(this.#raw);
  }

  /** The SSH wire encoding, as in signatures and `.pub` files. */
  get blob(): Buffer {
    return Buffer.concat([sshString(keyType), sshString(this.#raw)]);
  }

  /** `ssh-ed25519 AAAA…`, the form `.pub` files, allowed_signers and `signing.follows` use. */
  get line(): string {
    return `${keyType} ${this.blob.toString('base64')}`;
  }

  /** `SHA256:…`, as `ssh-keygen -l` prints it. */
  get fingerprint(): string {
    return `SHA256:${createHash('sha256').update(this.blob).digest('base64').replace(/=+$/, '')}`;
  }

  /** The key as PEM (SPKI), for tools that do not read OpenSSH keys, e.g. `cosign --key`. */
  get pem(): string {
    return this.#object.export({ type: 'spki', format: 'pem' }).toString();
  }

  equals(other: ReleasePublicKey): boolean {
    return this.#raw.equals(other.#raw);
  }

  /** Whether `signature` is this key's pure ed25519 signature of `data`. */
  verifies(data: Buffer, signature: Buffer): boolean {
    return signature.length === 64 && verify(null, data, this.#object, signature);
  }
}

function unsupported(name: string, type: string): ReleaseKeyError {
  return new ReleaseKeyError(`${name} is a ${type} key; Relforge signs releases with ed25519 keys only`, {
    fix: `make an ed25519 key (${keygenCommand}) and use it instead; list the old public key in signing.follows so the change is accepted`,
  });
}

/** The private release key. Its secret half stays in this object: never serialized, logged or written. */
export class ReleaseKey {
  readonly publicKey: ReleasePublicKey;
  readonly #object: KeyObject;

  private constructor(object: KeyObject, publicKey: ReleasePublicKey) {
    this.#object = object;
    this.publicKey = publicKey;
  }

  /**
   * Reads an OpenSSH private key. `name` says where it came from (e.g. "signing.key (environment variable
   * RELFORGE_RELEASE_KEY)"): every refusal names it, the problem and the fix, and never quotes the key.
   */
  static parse(text: string, name: string): ReleaseKey {
    const armored = privateArmor.exec(text);
    if (!armored) throw notOpenSsh(text, name);
    const body = (armored[1] ?? '').replace(/\s+/g, '');
    try {
      return ReleaseKey.fromBinary(Buffer.from(body, 'base64'), name);
    } catch (error) {
      if (error instanceof WireError) throw malformed(name, 'it ends early');
      throw error;
    }
  }

  private static fromBinary(bytes: Buffer, name: string): ReleaseKey {
    if (!bytes.subarray(0, magic.length).equals(magic)) throw malformed(name, 'it lacks the openssh-key-v1 header');
    const reader = new WireReader(bytes.subarray(magic.length));
    const cipher = reader.text();
    const kdf = reader.text();
    reader.string();
    if (cipher !== 'none' || kdf !== 'none') {
      throw new ReleaseKeyError(`${name} is encrypted with a passphrase (${cipher}), which a worker cannot type`, {
        fix: `remove the passphrase from a copy of the key (ssh-keygen -p -N '' -f <copy>) and give the worker that copy, readable only by the worker's user`,
      });
    }
    if (reader.uint32() !== 1) throw malformed(name, 'it holds more than one key');
    const publicBlob = reader.string();
    const type = new WireReader(publicBlob).text();
    if (type !== keyType) throw unsupported(name, type);
    const secret = new WireReader(reader.string());
    if (secret.uint32() !== secret.uint32()) throw malformed(name, 'its check numbers differ');
    if (secret.text() !== keyType) throw malformed(name, 'its private part is not the ed25519 key its header names');
    const raw = secret.string();
    const pair = secret.string();
    const publicKey = ReleasePublicKey.fromBlob(publicBlob, name);
    if (!raw.equals(publicKey.raw) || pair.length !== 64 || !pair.subarray(32).equals(raw)) {
      throw malformed(name, 'its private and public halves do not belong together');
    }
    const object = createPrivateKey({
      key: { ...jwkOf(raw), d: pair.subarray(0, 32).toString('base64url') },
      format: 'jwk',
    });
    if (createPublicKey(object).export({ format: 'jwk' }).x !== raw.toString('base64url')) {
      throw malformed(name, 'its private half does not make its public half');
    }
    return new ReleaseKey(object, publicKey);
  }

  /** A new key, and the OpenSSH private key file for it (what `ssh-keygen -t ed25519 -N ''` would write). */
  static generate(comment = 'relforge-release'): { key: ReleaseKey; openssh: string } {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url');
    const key = new ReleaseKey(privateKey, ReleasePublicKey.fromRaw(raw));
    return { key, openssh: openSshPrivateKey(key.publicKey, seed, comment) };
  }

  /** The pure ed25519 signature of `data` (deterministic: the same data always gives the same signature). */
  sign(data: Buffer): Buffer {
    return sign(null, data, this.#object);
  }

  toJSON(): { publicKey: string } {
    return { publicKey: this.publicKey.line };
  }
}

function openSshPrivateKey(publicKey: ReleasePublicKey, seed: Buffer, comment: string): string {
  const check = randomBytes(4);
  const secret = Buffer.concat([
    check,
    check,
    sshString(keyType),
    sshString(publicKey.raw),
    sshString(Buffer.concat([seed, publicKey.raw])),
    sshString(comment),
  ]);
  // The private section is padded with 1, 2, 3, … to the cipher's block size, 8 for "none".
  const padding = Buffer.from(Array.from({ length: (8 - (secret.length % 8)) % 8 }, (_, index) => index + 1));
  const body = Buffer.concat([
    magic,
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicKey.blob),
    sshString(Buffer.concat([secret, padding])),
  ]).toString('base64');
  const lines = body.match(/.{1,70}/g) ?? [];
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n');
}

function malformed(name: string, why: string): ReleaseKeyError {
  return new ReleaseKeyError(`${name} is not a usable OpenSSH private key: ${why}`, {
    fix: `give the whole file ssh-keygen wrote, from -----BEGIN OPENSSH PRIVATE KEY----- to the END line (make one with ${keygenCommand})`,
  });
}

/** Names what was given instead of an OpenSSH private key, so the fix can say what to give instead. */
function notOpenSsh(text: string, name: string): ReleaseKeyError {
  const trimmed = text.trim();
  if (/^-----BEGIN (RSA|DSA|EC) PRIVATE KEY-----/.test(trimmed)) {
    const type = /^-----BEGIN (\w+)/.exec(trimmed)?.[1]?.toLowerCase() ?? 'other';
    return unsupported(name, type);
  }
  if (/^-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(trimmed)) {
    return new ReleaseKeyError(`${name} is a PKCS#8 private key, not an OpenSSH one`, {
      fix: `give an OpenSSH ed25519 private key (${keygenCommand} writes one to release-key)`,
    });
  }
  if (/^(ssh-|ecdsa-|sk-)\S+ AAAA/.test(trimmed)) {
    return new ReleaseKeyError(`${name} holds a public key, not the private key`, {
      fix: 'give the private key file (release-key), not release-key.pub; the public key goes into signing.follows or allowed_signers',
    });
  }
  return new ReleaseKeyError(
    trimmed === '' ? `${name} is empty` : `${name} is not an OpenSSH private key (no BEGIN OPENSSH PRIVATE KEY line)`,
    {
      fix: `give the whole private key file ssh-keygen wrote (make one with ${keygenCommand})`,
    },
  );
}
