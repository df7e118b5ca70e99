import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverBinary } from '@relforge/local-servers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  EnvelopeError,
  pae,
  provenanceStatement,
  publishPredicateType,
  publishStatement,
  ReleaseKey,
  signStatement,
  verifyStatement,
  type ProvenanceStatement,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'relforge-attest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

const { key } = ReleaseKey.generate();
const other = ReleaseKey.generate().key;
writeFileSync(at('release-key.pem'), key.publicKey.pem);
writeFileSync(at('other.pem'), other.publicKey.pem);

const files = ['hello-1.2.3.tar.gz', 'hello-1.2.3-bookworm-x86_64.tar.gz', 'hello-1.2.3-SHA256SUMS'];
for (const [index, file] of files.entries()) writeFileSync(at(file), `bytes of file ${index}\n`);
writeFileSync(at('not-released.tar.gz'), 'another file\n');
const sha256 = (file: string) =>
  createHash('sha256')
    .update(readFileSync(at(file)))
    .digest('hex');

const provenance: ProvenanceStatement = provenanceStatement({
  subjects: files.map((name) => ({ name, digest: { sha256: sha256(name) } })),
  external: {
    project: 'hello',
    version: '1.2.3',
    source: { repository: 'o/hello', uri: 'git+https://github.com/o/hello.git', commit: 'a'.repeat(40) },
    config: { sha256: 'c'.repeat(64) },
  },
  internal: { targets: [{ distro: 'bookworm', arch: 'x86_64', file: files[1] ?? '' }], sourceTarball: files[0] ?? '' },
  builderId: 'https://relforge.dev/worker/relforge/relforge',
  invocationId: 'release/hello/1.2.3/0192d7c4-0000-7000-8000-000000000000',
  startedOn: '2026-12-01T12:00:00.000Z',
  finishedOn: '2026-12-01T12:03:00.000Z',
});
writeFileSync(at('provenance.intoto.jsonl'), signStatement(key, provenance));

const published = publishStatement({
  project: 'hello',
  version: '1.2.3',
  invocationId: provenance.predicate.runDetails.metadata?.invocationId ?? '',
  attestedOn: '2026-12-01T12:05:00.000Z',
  files: files.map((name) => ({
    name,
    sha256: sha256(name),
    placements: [
      { type: 's3', uri: `s3://bucket/releases/${name}`, url: `https://d/${name}`, etag: '"e"', sha256: sha256(name) },
    ],
  })),
  pullRequests: [],
});
writeFileSync(at('publish.intoto.jsonl'), signStatement(key, published));

/** The stock cosign, offline: no transparency log, no TUF root (the cache folder is empty and the network unused). */
function cosign(pem: string, type: string, envelope: string, artifact: string) {
  const tuf = at('tuf');
  mkdirSync(tuf, { recursive: true });
  const run = spawnSync(
    serverBinary('cosign'),
    [
      'verify-blob-attestation',
      '--key',
      at(pem),
      '--insecure-ignore-tlog',
      '--type',
      type,
      '--signature',
      at(envelope),
      at(artifact),
    ],
    {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], HOME: tuf, TUF_ROOT: tuf, HTTPS_PROXY: 'http://127.0.0.1:9' },
    },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the signed provenance', () => {
  it('is verified by cosign verify-blob-attestation --key <PEM> for every file it names, offline', () => {
    for (const file of files) {
      const result = cosign('release-key.pem', 'slsaprovenance1', 'provenance.intoto.jsonl', file);
      expect(result.output).toContain('Verified OK');
      expect(result.status).toBe(0);
    }
  });

  it('is refused by cosign for a file it does not name, another key, another predicate type, or a changed payload', () => {
    expect(
      cosign('release-key.pem', 'slsaprovenance1', 'provenance.intoto.jsonl', 'not-released.tar.gz').output,
    ).toContain('no matching subject digest found');
    expect(cosign('other.pem', 'slsaprovenance1', 'provenance.intoto.jsonl', files[0] ?? '').status).not.toBe(0);
    expect(cosign('release-key.pem', 'slsaprovenance02', 'provenance.intoto.jsonl', files[0] ?? '').status).not.toBe(0);
    const envelope = JSON.parse(readFileSync(at('provenance.intoto.jsonl'), 'utf8')) as { payload: string };
    const changed = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as ProvenanceStatement;
    changed.predicate.buildDefinition.externalParameters.source.commit = 'b'.repeat(40);
    envelope.payload = Buffer.from(JSON.stringify(changed)).toString('base64');
    writeFileSync(at('changed.intoto.jsonl'), JSON.stringify(envelope));
    expect(cosign('release-key.pem', 'slsaprovenance1', 'changed.intoto.jsonl', files[0] ?? '').status).not.toBe(0);
    expect(() => verifyStatement(JSON.stringify(envelope), [key.publicKey], 'changed.intoto.jsonl')).toThrow(
      EnvelopeError,
    );
  });

  it("reads back in Relforge: the statement, signed by the project's key, over DSSE's pre-authentication encoding", () => {
    const text = readFileSync(at('provenance.intoto.jsonl'), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(1);
    const { statement, signer } = verifyStatement(text, [other.publicKey, key.publicKey], 'provenance');
    expect(signer.equals(key.publicKey)).toBe(true);
    expect(statement).toEqual(provenance);
    expect(() => verifyStatement(text, [other.publicKey], 'provenance')).toThrow(
      "provenance: no signature in it verifies with the project's release key",
    );
    expect(pae('application/vnd.in-toto+json', Buffer.from('{}')).toString()).toBe(
      'DSSEv1 28 application/vnd.in-toto+json 2 {}',
    );
  });
});

describe('the signed publish attestation', () => {
  it('is verified by cosign with its own predicate type, and refused with another', () => {
    const result = cosign('release-key.pem', publishPredicateType, 'publish.intoto.jsonl', files[2] ?? '');
    expect(result.output).toContain('Verified OK');
    expect(cosign('release-key.pem', 'slsaprovenance1', 'publish.intoto.jsonl', files[2] ?? '').status).not.toBe(0);
  });
});
