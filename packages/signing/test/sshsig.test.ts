import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  allowedSignersText,
  parseAllowedSigners,
  ReleaseKey,
  SignatureError,
  signatureNamespace,
  signFile,
  verifyFileSignature,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-sshsig-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hello', '-f', at('release-key')]);
const key = ReleaseKey.parse(readFileSync(at('release-key'), 'utf8'), 'release-key');
const other = ReleaseKey.generate().key;
const sums = 'hello-1.2.3-SHA256SUMS';
const text = `${'0'.repeat(64)}  hello-1.2.3.tar.gz\n${'1'.repeat(64)}  hello-1.2.3-bookworm-x86_64.tar.gz\n`;
writeFileSync(at(sums), text);
writeFileSync(at(`${sums}.sig`), signFile(key, text));
writeFileSync(at('allowed_signers'), allowedSignersText('hello', key.publicKey, sums));

/** `ssh-keygen -Y verify` as a downloader runs it, reading the file from stdin. */
function sshVerify(file: string, signature: string, namespace = signatureNamespace) {
  const run = spawnSync(
    'ssh-keygen',
    ['-Y', 'verify', '-f', at('allowed_signers'), '-I', 'hello', '-n', namespace, '-s', at(signature)],
    { input: readFileSync(at(file)), encoding: 'utf8' },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe('release file signatures', () => {
  it('are accepted by the stock ssh-keygen -Y verify with the published allowed_signers', () => {
    expect(sshVerify(sums, `${sums}.sig`)).toEqual({
      status: 0,
      output: `Good "${signatureNamespace}" signature for hello with ED25519 key ${key.publicKey.fingerprint}`,
    });
  });

  it('are refused by ssh-keygen for a tampered file, another namespace, or another key', () => {
    writeFileSync(at('tampered'), text.replace('0000', '0001'));
    expect(sshVerify('tampered', `${sums}.sig`).status).not.toBe(0);
    expect(sshVerify(sums, `${sums}.sig`, 'file').status).not.toBe(0);
    writeFileSync(at('other.sig'), signFile(other, text));
    expect(sshVerify(sums, 'other.sig').status).not.toBe(0);
  });

  it('are byte for byte what ssh-keygen -Y sign writes with the same key (ed25519 is deterministic)', () => {
    writeFileSync(at('by-ssh-keygen'), text);
    execFileSync('ssh-keygen', [
      '-q',
      '-Y',
      'sign',
      '-f',
      at('release-key'),
      '-n',
      signatureNamespace,
      at('by-ssh-keygen'),
    ]);
    expect(readFileSync(at('by-ssh-keygen.sig'), 'utf8')).toBe(readFileSync(at(`${sums}.sig`), 'utf8'));
  });

  it('verify in Relforge too, naming the signer; a tampered file, another key or namespace is refused', () => {
    const signature = readFileSync(at(`${sums}.sig`), 'utf8');
    const options = { name: `${sums}.sig` };
    expect(verifyFileSignature(signature, text, [key.publicKey], options).fingerprint).toBe(key.publicKey.fingerprint);
    expect(() => verifyFileSignature(signature, `${text} `, [key.publicKey], options)).toThrow(
      `${sums}.sig: the signature does not match the file`,
    );
    expect(() => verifyFileSignature(signature, text, [other.publicKey], options)).toThrow(
      `${sums}.sig: signed by ${key.publicKey.fingerprint}, which is not the project's release key`,
    );
    expect(() => verifyFileSignature(signature, text, [key.publicKey], { ...options, namespace: 'git' })).toThrow(
      SignatureError,
    );
    const git = execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', at('release-key'), '-n', 'git'], {
      input: text,
      encoding: 'utf8',
    });
    expect(() => verifyFileSignature(git, text, [key.publicKey], options)).toThrow(
      `${sums}.sig: signed for namespace "git", not "${signatureNamespace}"`,
    );
    expect(() => verifyFileSignature(signature.slice(0, 120), text, [key.publicKey], options)).toThrow(SignatureError);
    // Made by an rsa key: no release signature, refused as one rather than as a key to use.
    execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', at('rsa-key')]);
    const rsa = execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', at('rsa-key'), '-n', signatureNamespace], {
      input: text,
      encoding: 'utf8',
    });
    expect(() => verifyFileSignature(rsa, text, [key.publicKey], options)).toThrow(
      `${sums}.sig: the key in ${sums}.sig is a ssh-rsa key; Relforge signs releases with ed25519 keys only`,
    );
  });

  it('have an allowed_signers file Relforge reads back: principal, namespace, key', () => {
    const [signer, ...rest] = parseAllowedSigners(readFileSync(at('allowed_signers'), 'utf8'), 'allowed_signers');
    expect(rest).toEqual([]);
    expect(signer?.principals).toEqual(['hello']);
    expect(signer?.namespaces).toEqual([signatureNamespace]);
    expect(signer?.publicKey.equals(key.publicKey)).toBe(true);
  });
});
