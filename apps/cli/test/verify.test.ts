/**
 * `relforge verify` as a downloader runs it, against a release the stack really made: the good file passes every
 * check; a tampered file, a tampered checksums file, another key and a missing signature each fail, named.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReleaseKey, allowedSignersText } from '@relforge/signing';
import { readStackState } from '@relforge/stack';
import { workspaceRoot } from '@relforge/local-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';
import { exampleOnStack, stackUp } from './stack.js';

/** What each verify printed, kept with the test results for people to read (the closing note quotes it). */
const transcript: string[] = [];
function kept(title: string, command: string[], output: { code: number | null; stdout: string; stderr: string }) {
  transcript.push(
    `## ${title}`,
    `$ relforge ${command.join(' ')}`,
    output.stdout.trimEnd(),
    output.stderr.trimEnd(),
    `(exit ${output.code})`,
    '',
  );
  return output;
}
afterAll(() => {
  const dir = join(workspaceRoot(), '.relforge', 'test-results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'verify-transcript.txt'), transcript.join('\n'));
});

describe('relforge verify', () => {
  it(
    'passes a published file on every check, and names the check each tampering fails',
    { timeout: 300_000 },
    async () => {
      const env = await stackUp();
      const example = await exampleOnStack(env.RELFORGE_STATE_DIR);
      const version = '1.7.0-rc1';
      const released = await runCli(['release', version, '--config', example.configPath], env);
      expect(released.code).toBe(0);

      const state = readStackState();
      if (!state) throw new Error('relforge stack up left no state file');
      const base = `${state.s3.endpoint}/${state.s3.bucket}/releases`;
      // The name alone reads two ways (version 1.7.0 for distro "rc1", or 1.7.0-rc1): the checksums file decides.
      const file = `hello-${version}-bookworm-x86_64.tar.gz`;
      const hashes = `${state.github.url}/${example.repos.hashes}.git`;

      const goodArgs = ['verify', `${base}/${file}`, '--checksum-repo', hashes];
      const good = kept('a published file, by its URL', goodArgs, await runCli(goodArgs, env));
      expect(good.stderr).toBe('');
      expect(good.code).toBe(0);
      const lines = good.stdout.trim().split('\n');
      expect(lines.map((line) => line.split(':')[0])).toEqual([
        '✓ signature',
        '✓ checksums',
        '✓ provenance',
        '✓ checksum repository',
        '✓ publish attestation',
        `${file}`,
      ]);
      expect(good.stdout).toContain(`hello-${version}-SHA256SUMS is signed by SHA256:`);
      expect(good.stdout).toMatch(/✓ publish attestation: .* verified in s3, release-asset, checksum-repo/);
      expect(good.stdout).toContain(`${file}: verified`);

      // The release's files, downloaded into a folder, to tamper with one at a time.
      const dir = mkdtempSync(join(tmpdir(), 'relforge-verify-test-'));
      try {
        const names = [
          file,
          `hello-${version}-SHA256SUMS`,
          `hello-${version}-SHA256SUMS.sig`,
          `hello-${version}.provenance.intoto.jsonl`,
          `hello-${version}.publish.intoto.jsonl`,
        ];
        for (const name of names) {
          const response = await fetch(`${base}/${name}`);
          expect(response.status).toBe(200);
          writeFileSync(join(dir, name), Buffer.from(await response.arrayBuffer()));
        }
        const local = join(dir, file);
        const verifyLocal = async (title: string, ...extra: string[]) =>
          kept(title, ['verify', local, ...extra], await runCli(['verify', local, ...extra], env));
        const failed = (output: { stdout: string }) =>
          output.stdout
            .split('\n')
            .filter((line) => line.startsWith('✗'))
            .map((line) => line.split(':')[0]);

        const downloaded = await verifyLocal('the same file, downloaded', '--checksum-repo', hashes);
        expect(downloaded.code).toBe(0);

        // A tampered file: its digest matches nothing that was signed or recorded.
        const original = readFileSync(local);
        const tampered = Buffer.from(original);
        tampered[tampered.length - 1] = (tampered.at(-1) ?? 0) ^ 0xff;
        writeFileSync(local, tampered);
        const badFile = await verifyLocal('a tampered file', '--checksum-repo', hashes);
        expect(badFile.code).toBe(1);
        expect(failed(badFile)).toEqual([
          '✗ checksums',
          '✗ provenance',
          '✗ checksum repository',
          '✗ publish attestation',
        ]);
        expect(badFile.stdout).toContain('✓ signature');
        expect(badFile.stderr).toContain(
          `relforge: ${file} failed checksums, provenance, checksum repository, publish attestation: do not use it`,
        );
        writeFileSync(local, original);

        // A tampered checksums file, listing the tampered file's digest: the signature no longer holds.
        const sumsPath = join(dir, `hello-${version}-SHA256SUMS`);
        const sums = readFileSync(sumsPath, 'utf8');
        writeFileSync(local, tampered);
        const { createHash } = await import('node:crypto');
        const forged = createHash('sha256').update(tampered).digest('hex');
        writeFileSync(sumsPath, sums.replace(/^[0-9a-f]{64}(?= {2}hello-[^ ]*-bookworm-x86_64\.tar\.gz$)/m, forged));
        const badSums = await verifyLocal('a tampered file with a tampered checksums file', '--checksum-repo', hashes);
        expect(badSums.code).toBe(1);
        expect(failed(badSums)).toEqual([
          '✗ signature',
          '✗ provenance',
          '✗ checksum repository',
          '✗ publish attestation',
        ]);
        expect(badSums.stdout).toContain('✓ checksums');
        writeFileSync(sumsPath, sums);
        writeFileSync(local, original);

        // Another key than the project's: nothing signed verifies.
        const other = ReleaseKey.generate().key;
        const otherSigners = join(dir, 'other_allowed_signers');
        writeFileSync(otherSigners, allowedSignersText('hello', other.publicKey));
        const wrongKey = await verifyLocal('another key', '--key', otherSigners);
        expect(wrongKey.code).toBe(1);
        expect(failed(wrongKey)).toEqual(['✗ signature', '✗ provenance', '✗ publish attestation']);
        expect(wrongKey.stdout).toContain('✓ checksums');

        // No signature next to the checksums file.
        unlinkSync(join(dir, `hello-${version}-SHA256SUMS.sig`));
        const unsigned = await verifyLocal('no signature', '--checksum-repo', hashes);
        expect(unsigned.code).toBe(1);
        expect(failed(unsigned)).toEqual(['✗ signature']);
        expect(unsigned.stdout).toContain(`✗ signature: hello-${version}-SHA256SUMS.sig is missing at ${dir}`);

        // Nothing to trust: refused before any check, naming the fix.
        const noKey = await verifyLocal('nothing to trust');
        expect(noKey.code).toBe(2);
        expect(noKey.stderr).toContain('relforge: no key to verify against');
        expect(noKey.stderr).toContain('--checksum-repo <git URL or checkout>, or --key <allowed_signers file or URL>');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
