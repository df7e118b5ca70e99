import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReleaseKey, ReleaseKeyError, ReleasePublicKey } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A key as the stock ssh-keygen writes it, with its .pub line. */
function sshKeygen(name: string, ...args: string[]): { key: string; pub: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-C', 'relforge-test', '-f', path, ...args]);
  return { key: readFileSync(path, 'utf8'), pub: readFileSync(`${path}.pub`, 'utf8').trim() };
}

const source = 'signing.key (environment variable RELFORGE_RELEASE_KEY)';

/** The refusal of a key text, checked to name the source and never to quote the key. */
function refusal(text: string): ReleaseKeyError {
  let caught: unknown;
  try {
    ReleaseKey.parse(text, source);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ReleaseKeyError);
  const error = caught as ReleaseKeyError;
  expect(error.message.startsWith(`${source} `)).toBe(true);
  // The armor lines are no secret; every line of key material is.
  for (const line of text.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')))
    expect(`${error.message} ${error.fix}`).not.toContain(line);
  return error;
}

describe('the release key', () => {
  it("is read from ssh-keygen's ed25519 key file, with the public line, fingerprint and PEM ssh-keygen and openssl give", () => {
    const { key, pub } = sshKeygen('ed', '-t', 'ed25519', '-N', '');
    const parsed = ReleaseKey.parse(key, source);
    expect(`${parsed.publicKey.line} relforge-test`).toBe(pub);
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'ed.pub')], { encoding: 'utf8' });
    expect(fingerprint.split(' ')[1]).toBe(parsed.publicKey.fingerprint);
    writeFileSync(join(dir, 'ed.pem'), parsed.publicKey.pem);
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', join(dir, 'ed.pem'), '-outform', 'DER']);
    expect(der.subarray(-32)).toEqual(parsed.publicKey.raw);
    expect(ReleasePublicKey.parse(parsed.publicKey.pem, 'the PEM').equals(parsed.publicKey)).toBe(true);
    expect(JSON.stringify(parsed)).toBe(JSON.stringify({ publicKey: parsed.publicKey.line }));
  });

  it('made by Relforge is a key file ssh-keygen reads back to the same public key', () => {
    const { key, openssh } = ReleaseKey.generate();
    const path = join(dir, 'generated');
    writeFileSync(path, openssh, { mode: 0o600 });
    expect(execFileSync('ssh-keygen', ['-y', '-f', path], { encoding: 'utf8' }).trim()).toBe(
      `${key.publicKey.line} relforge-release`,
    );
    expect(ReleaseKey.parse(openssh, source).publicKey.equals(key.publicKey)).toBe(true);
  });

  it('refuses rsa and ecdsa keys, in OpenSSH and PEM form, naming the type and how to make an ed25519 key', () => {
    for (const [name, args] of [
      ['rsa', ['-t', 'rsa', '-b', '2048', '-N', '']],
      ['ecdsa', ['-t', 'ecdsa', '-N', '']],
      ['rsa-pem', ['-t', 'rsa', '-b', '2048', '-N', '', '-m', 'PEM']],
    ] as const) {
      const error = refusal(sshKeygen(name, ...args).key);
      expect(error.message).toMatch(
        /is a (ssh-rsa|ecdsa-sha2-nistp256|rsa) key; Relforge signs releases with ed25519 keys only/,
      );
      expect(error.fix).toContain("ssh-keygen -t ed25519 -N ''");
      expect(error.fix).toContain('signing.follows');
    }
  });

  it('refuses a key with a passphrase, saying how to remove it', () => {
    const error = refusal(sshKeygen('encrypted', '-t', 'ed25519', '-N', 'correct horse').key);
    expect(error.message).toContain('is encrypted with a passphrase (aes256-ctr), which a worker cannot type');
    expect(error.fix).toContain("ssh-keygen -p -N ''");
  });

  it('refuses an empty value, a public key, a PKCS#8 key, a truncated or altered key, each saying what it is', () => {
    const { key, pub } = sshKeygen('ed2', '-t', 'ed25519', '-N', '');
    expect(refusal('').message).toBe(`${source} is empty`);
    expect(refusal(pub).message).toBe(`${source} holds a public key, not the private key`);
    const pkcs8 = execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519'], { encoding: 'utf8' });
    expect(refusal(pkcs8).message).toBe(`${source} is a PKCS#8 private key, not an OpenSSH one`);
    expect(refusal('hello').message).toContain('is not an OpenSSH private key (no BEGIN OPENSSH PRIVATE KEY line)');
    const lines = key.trim().split('\n');
    const truncated = [...lines.slice(0, 3), lines.at(-1)].join('\n');
    expect(refusal(truncated).message).toMatch(/is not a usable OpenSSH private key: /);
    // One character of the private half changed: the halves no longer belong together.
    const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
    body[body.length - 40] = (body[body.length - 40] ?? 0) ^ 1;
    const altered = [lines[0], body.toString('base64'), lines.at(-1)].join('\n');
    expect(refusal(altered).message).toMatch(/is not a usable OpenSSH private key: /);
  });

  it('takes public keys as .pub lines or PEM, and refuses other key types there too', () => {
    const { pub } = sshKeygen('ed3', '-t', 'ed25519', '-N', '');
    const key = ReleasePublicKey.parse(pub, 'signing.follows[0]');
    expect(key.line).toBe(pub.split(' ').slice(0, 2).join(' '));
    const ecdsa = sshKeygen('ecdsa2', '-t', 'ecdsa', '-N', '').pub;
    expect(() => ReleasePublicKey.parse(ecdsa, 'signing.follows[1]')).toThrow(
      'signing.follows[1] is a ecdsa-sha2-nistp256 key; Relforge signs releases with ed25519 keys only',
    );
    expect(() => ReleasePublicKey.parse('ssh-ed25519', 'signing.follows[2]')).toThrow(
      'signing.follows[2] is not an OpenSSH public key line',
    );
    expect(() => ReleasePublicKey.parse('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA==', 'signing.follows[3]')).toThrow(
      'signing.follows[3] holds a damaged ed25519 public key',
    );
  });
});
