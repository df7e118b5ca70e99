/**
 * A signed release, checked as a downloader checks it, with tools Relforge did not write: `ssh-keygen -Y verify` on
 * the checksums files with the checksum repository's allowed_signers, `cosign verify-blob-attestation` on the
 * provenance and the publish attestation with its release-key.pem. And the keys refused before anything is signed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { loadProjectConfig } from '@relforge/config';
import { serverBinary } from '@relforge/local-servers';
import { createReleaseActivities } from '@relforge/release/activities';
import {
  allowedSignersText,
  publishPredicateType,
  ReleaseKey,
  relforgeBuildType,
  verifyStatement,
  type ProvenanceStatement,
  type PublishStatement,
} from '@relforge/signing';
import {
  createExampleProject,
  releaseEffects,
  releasedOnce,
  secretsInHistory,
  testS3Client,
  testStack,
  type ExampleProject,
} from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connect,
  release,
  releaseWorker,
  scheduled,
  secretsIn,
  servicesFor,
  startRelease,
  type Connections,
} from './harness.js';
import { checkout, remote } from './inspect.js';
import { Git } from '@relforge/git';

let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

const dir = mkdtempSync(join(tmpdir(), 'relforge-signing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

const nothingPublished = {
  ...releasedOnce,
  objects: 0,
  staged: 0,
  releases: 0,
  assets: 0,
  uploadsPerAsset: [],
  hashLines: 0,
  containerPulls: 0,
  websitePulls: 0,
};

/** A key file as the stock ssh-keygen writes it. */
function sshKeygen(name: string, ...args: string[]): string {
  execFileSync('ssh-keygen', ['-q', '-C', 'test', '-f', at(name), ...args]);
  return readFileSync(at(name), 'utf8');
}

async function download(example: ExampleProject, file: string): Promise<string> {
  const client = testS3Client();
  try {
    const object = await client.send(new GetObjectCommand({ Bucket: example.bucket, Key: `releases/${file}` }));
    const bytes = await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    writeFileSync(at(file), bytes);
    return at(file);
  } finally {
    client.destroy();
  }
}

function sshVerify(allowedSigners: string, principal: string, signature: string, file: string) {
  const run = spawnSync(
    'ssh-keygen',
    ['-Y', 'verify', '-f', allowedSigners, '-I', principal, '-n', 'relforge-release', '-s', signature],
    { input: readFileSync(file), encoding: 'utf8' },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

function cosign(pem: string, type: string, envelope: string, artifact: string) {
  const run = spawnSync(
    serverBinary('cosign'),
    [
      'verify-blob-attestation',
      '--key',
      pem,
      '--insecure-ignore-tlog',
      '--type',
      type,
      '--signature',
      envelope,
      artifact,
    ],
    {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'], HOME: dir, TUF_ROOT: at('tuf'), HTTPS_PROXY: 'http://127.0.0.1:9' },
    },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('the release key', () => {
  it('missing, malformed, rsa or encrypted, is refused before any step, naming the secret and the fix', async () => {
    const example = await createExampleProject();
    const rsa = sshKeygen('rsa', '-t', 'rsa', '-b', '2048', '-N', '');
    const encrypted = sshKeygen('encrypted', '-t', 'ed25519', '-N', 'a passphrase');
    const where = 'signing.key (environment variable RELFORGE_RELEASE_KEY)';
    const cases = [
      { key: undefined, message: 'signing.key: environment variable RELFORGE_RELEASE_KEY is not set on the worker' },
      {
        key: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHabqSQ4SshGM92v1MmOh0ppQphsqtLKnqs8bjbp7GiI',
        message: `${where} holds a public key, not the private key`,
      },
      { key: rsa, message: `${where} is a ssh-rsa key; Relforge signs releases with ed25519 keys only` },
      { key: encrypted, message: `${where} is encrypted with a passphrase (aes256-ctr), which a worker cannot type` },
    ];
    // One worker for every case: the activities read the key from this environment when they run.
    const env: Record<string, string> = { ...example.env };
    const worker = await releaseWorker(connections, createReleaseActivities({ ...servicesFor(example), env }));
    await worker.runUntil(async () => {
      for (const [index, { key, message }] of cases.entries()) {
        if (key === undefined) delete env['RELFORGE_RELEASE_KEY'];
        else env['RELFORGE_RELEASE_KEY'] = key;
        const version = `9.0.${index}`;
        const handle = await startRelease(connections, example, version);
        const failure = await handle.result().then(
          () => undefined,
          (error: unknown) => error as WorkflowFailedError,
        );
        const cause = failure?.cause as ApplicationFailure | undefined;
        expect(cause?.message).toContain(message);
        expect(cause?.message).toMatch(/ — fix: .*resume the release/);
        expect(await scheduled(handle, 'buildTarget')).toBe(0);
        expect(await scheduled(handle, 'checksumArtifacts')).toBe(0);
        const history = historyToJSON(await handle.fetchHistory());
        // The refused key is a secret as well: none of its lines is in history.
        const lines = (key ?? '').split('\n').filter((line) => line.length > 20 && !line.startsWith('-----'));
        expect(secretsInHistory(history, lines)).toEqual([]);
        expect(await releaseEffects(example, version)).toEqual(nothingPublished);
      }
    });
  });

  it('is refused when the config signs but the checksum stage made no signatures: nothing is uploaded', async () => {
    const example = await createExampleProject();
    const activities = createReleaseActivities(servicesFor(example));
    const { publish } = await loadProjectConfig(example.configPath, example.env);
    const upload = activities.uploadArtifacts({
      workDir: join(example.workRoot, 'unsigned'),
      s3: publish.s3,
      artifacts: [{ file: 'hello-1.0.0-SHA256SUMS', size: 10, sha256: 'a'.repeat(64), kind: 'checksums' }],
      signed: true,
    });
    await expect(upload).rejects.toThrow(
      'the config signs this release, but its checksum stage made no signatures (it ran before signing was configured); nothing was published',
    );
    expect((await releaseEffects(example, '1.0.0')).objects).toBe(0);
  });
});

describe('a signed release', () => {
  it(
    'refuses a key the checksum repository does not publish; with signing.follows naming that one, it releases, ' +
      'publishes the new key, and every file verifies with ssh-keygen and cosign',
    { timeout: 300_000 },
    async () => {
      const old = ReleaseKey.generate().key;
      const example = await createExampleProject({
        hashesFiles: { allowed_signers: allowedSignersText('hello', old.publicKey) },
      });
      const version = '3.0.0';
      const p = example.project;
      const key = example.releaseKey.publicKey;

      const refused = await release(connections, example, version);
      const cause = refused.failure?.cause as ApplicationFailure | undefined;
      expect(cause?.message).toContain(
        `signing.key is the key ${key.fingerprint}, not the release key ${old.publicKey.fingerprint} that ${example.repos.hashes}:allowed_signers publishes; nothing was signed`,
      );
      expect(cause?.message).toContain(`add the published key to signing.follows ("${old.publicKey.line}")`);
      expect(await scheduled(refused.handle, 'buildTarget')).toBe(0);
      expect(await releaseEffects(example, version)).toEqual(nothingPublished);

      appendFileSync(example.configPath, `  follows:\n    - ${old.publicKey.line} hello-2025\n`);
      const { status, handle } = await release(connections, example, version);
      expect(status?.state).toBe('succeeded');
      expect(await releaseEffects(example, version)).toEqual(releasedOnce);
      for (const run of [refused.handle, handle])
        expect(await secretsIn(connections, example, run.workflowId, run.firstExecutionRunId)).toEqual([]);

      // The checksum repository now publishes the new key, in the commit that added the hash lines.
      const hashes = await checkout(example.repos.hashes, 'main');
      writeFileSync(at('allowed_signers'), hashes.read('allowed_signers'));
      writeFileSync(at('release-key.pem'), hashes.read('release-key.pem'));
      const log = hashes.subject;
      hashes.done();
      expect(readFileSync(at('allowed_signers'), 'utf8')).toContain(`${p} namespaces="relforge-release" ${key.line}\n`);
      expect(readFileSync(at('allowed_signers'), 'utf8')).not.toContain(old.publicKey.line);
      expect(readFileSync(at('release-key.pem'), 'utf8')).toBe(key.pem);
      expect(log).toBe(`Add hashes for ${p} ${version}; the release key is now ${key.fingerprint}`);

      // ssh-keygen accepts both checksums files with the published allowed_signers, and nothing else.
      for (const sums of [`${p}-${version}-SHA256SUMS`, `${p}-${version}-SHA512SUMS`]) {
        const file = await download(example, sums);
        const signature = await download(example, `${sums}.sig`);
        expect(sshVerify(at('allowed_signers'), p, signature, file)).toEqual({
          status: 0,
          output: `Good "relforge-release" signature for ${p} with ED25519 key ${key.fingerprint}`,
        });
        writeFileSync(
          at('tampered'),
          readFileSync(file, 'utf8').replace(/^[0-9a-f]/, (digit) => (digit === '0' ? '1' : '0')),
        );
        expect(sshVerify(at('allowed_signers'), p, signature, at('tampered')).status).not.toBe(0);
      }
      writeFileSync(at('old_signers'), allowedSignersText(p, old.publicKey));
      const sums = at(`${p}-${version}-SHA256SUMS`);
      expect(sshVerify(at('old_signers'), p, `${sums}.sig`, sums).status).not.toBe(0);

      // cosign verifies the provenance for every tarball, and the publish attestation, with the published PEM.
      const provenance = await download(example, `${p}-${version}.provenance.intoto.jsonl`);
      const published = await download(example, `${p}-${version}.publish.intoto.jsonl`);
      const tarballs = status?.artifacts.filter((artifact) => artifact.file.endsWith('.tar.gz')) ?? [];
      expect(tarballs).toHaveLength(5);
      for (const tarball of tarballs) {
        const file = await download(example, tarball.file);
        const verified = cosign(at('release-key.pem'), 'slsaprovenance1', provenance, file);
        expect(verified.output).toContain('Verified OK');
        expect(cosign(at('release-key.pem'), publishPredicateType, published, file).output).toContain('Verified OK');
      }

      // The provenance: every other file of the release a subject with its sha256, and the run that built them.
      const artifacts = new Map(status?.artifacts.map((artifact) => [artifact.file, artifact.sha256]));
      const { statement } = verifyStatement(readFileSync(provenance, 'utf8'), [key], 'provenance');
      const build = statement as ProvenanceStatement;
      const subjects = new Map(build.subject.map((subject) => [subject.name, subject.digest.sha256]));
      expect(subjects).toEqual(new Map([...artifacts].filter(([file]) => !file.endsWith('.intoto.jsonl'))));
      expect(subjects.size).toBe(14);
      expect(build.predicate.buildDefinition.buildType).toBe(relforgeBuildType);
      expect(build.predicate.buildDefinition.externalParameters).toEqual({
        project: p,
        version,
        source: {
          repository: example.repos.source,
          uri: `git+${testStack().github.url}/${example.repos.source}.git`,
          commit: status?.sourceCommit,
        },
        config: { sha256: status?.config?.sha256 },
      });
      expect(build.predicate.buildDefinition.resolvedDependencies).toEqual([
        {
          name: 'source',
          uri: `git+${testStack().github.url}/${example.repos.source}.git`,
          digest: { gitCommit: status?.sourceCommit },
        },
      ]);
      expect(build.predicate.runDetails.builder.id).toBe(
        `https://relforge.dev/builders/temporal/${testStack().temporal.namespace}/relforge`,
      );
      expect(build.predicate.runDetails.metadata).toEqual({
        invocationId: `${handle.workflowId}/${handle.firstExecutionRunId}`,
        startedOn: expect.any(String),
        finishedOn: expect.any(String),
      });

      // The publish attestation: each file in S3 with its ETag, as a release asset by id, and the tarballs in the
      // checksum repository's commit and the container pull request, each with the sha256 read back there.
      const attested = verifyStatement(readFileSync(published, 'utf8'), [key], 'publish').statement as PublishStatement;
      expect(attested.subject.map((subject) => subject.name).sort()).toEqual(
        [...artifacts.keys()].filter((file) => !file.endsWith('.publish.intoto.jsonl')).sort(),
      );
      const state = await example.admin.state();
      const assets = new Map(
        state.repos[example.repos.source]?.releases[0]?.assets.map((asset) => [asset.name, asset.id]),
      );
      const client = testS3Client();
      const hashesHead = await new Git().resolveRemoteRef(remote(example.repos.hashes), 'main');
      try {
        for (const file of attested.predicate.files) {
          const head = await client.send(
            new HeadObjectCommand({ Bucket: example.bucket, Key: `releases/${file.name}` }),
          );
          const places = file.placements.map((placement) => {
            expect(placement.sha256).toBe(artifacts.get(file.name));
            if (placement.type === 's3') return ['s3', placement.etag === head.ETag];
            if (placement.type === 'release-asset') return ['asset', placement.assetId === assets.get(file.name)];
            if (placement.type === 'checksum-repo') return ['hashes', placement.commit === hashesHead];
            return [placement.path, placement.url.endsWith('/pull/1')];
          });
          const inContainer = [
            ...(file.name === `${p}-${version}.tar.gz` ? [['versions.json', true]] : []),
            ...(file.name === `${p}-${version}-bookworm-x86_64.tar.gz` ? [['3.0/bookworm/Dockerfile', true]] : []),
            ...(file.name === `${p}-${version}-trixie-x86_64.tar.gz` ? [['3.0/trixie/Dockerfile', true]] : []),
          ];
          const tarball = file.name.endsWith('.tar.gz');
          expect(places).toEqual([
            ['s3', true],
            ['asset', true],
            ...(tarball ? [['hashes', true]] : []),
            ...inContainer,
          ]);
        }
      } finally {
        client.destroy();
      }
      expect(attested.predicate.pullRequests).toEqual([
        {
          repository: example.repos.website,
          url: expect.stringMatching(/\/pull\/1$/),
          branch: `update-website-${version}`,
          commit: expect.stringMatching(/^[0-9a-f]{40}$/),
          path: 'content/download/releases/v3-0-0.md',
        },
      ]);

      // The release notes name the key and how to verify with it.
      const response = await fetch(
        `${testStack().github.url}/repos/${example.repos.source}/releases/tags/v${version}`,
        {
          headers: { authorization: `token ${testStack().github.token}` },
        },
      );
      const body = ((await response.json()) as { body: string }).body;
      expect(body).toContain(`Signed with the release key \`${key.fingerprint}\` (ed25519).`);
      expect(body).toContain(`${p} namespaces="relforge-release" ${key.line}`);
      expect(body).toContain(key.pem.trim());
    },
  );
});
