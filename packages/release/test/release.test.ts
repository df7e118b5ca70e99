import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import {
  createExampleProject,
  decodedHistory,
  exampleSecrets,
  secretsInHistory,
  testS3Client,
} from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { createReleaseActivities } from '@relforge/release/activities';
import { testStack } from '@relforge/testkit';
import {
  connect,
  recordedHistories,
  release,
  servicesFor,
  suiteEventLog,
  workflowBundle,
  type Connections,
} from './harness.js';
import { described, eventsOf, expectWholeLog } from './event-log.js';
import { checkout, remoteRef, s3Objects, sha256sumCheck } from './inspect.js';

const events = suiteEventLog();
let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

const targets = ['bookworm-x86_64', 'bookworm-arm64', 'trixie-x86_64', 'trixie-arm64'];

describe('a release of the example project, end to end on the real servers', () => {
  it('builds, checksums, publishes, and updates the checksum, container and website repositories', async () => {
    const example = await createExampleProject();
    const version = '1.2.3';
    const { log } = events();
    const activities = createReleaseActivities({ ...servicesFor(example), events: log });
    const { status, failure, queried, handle } = await release(connections, example, version, activities);
    expect(failure?.cause?.message).toBeUndefined();
    expect(status?.state).toBe('succeeded');
    expect(status?.stages.map((stage) => [stage.name, stage.state])).toEqual([
      ['build', 'succeeded'],
      ['checksum', 'succeeded'],
      ['publish', 'succeeded'],
      ['checksum-repo', 'succeeded'],
      ['container-repo', 'succeeded'],
      ['website', 'succeeded'],
    ]);
    expect(queried).toEqual(status);
    // It ran with the worker's config file, pinned by the digest of its bytes.
    expect(status?.config).toEqual({
      path: example.configPath,
      sha256: createHash('sha256').update(readFileSync(example.configPath)).digest('hex'),
    });

    // Its events, read back from JetStream as a receiver gets them: 1..N, each stage, build and artifact in the order
    // its state machine allows, and the patches applied in order give the final status exactly.
    if (!status) throw new Error('the release did not succeed');
    const logged = await eventsOf(log, testStack().temporal.namespace, { project: example.project, version });
    expectWholeLog(logged, status);
    const lines = logged.map(described);
    expect(lines.filter((line) => line.startsWith('release '))).toEqual(
      ['queued', 'preparing', 'running', 'succeeded'].map((state) => `release ${state}`),
    );
    expect(lines.filter((line) => line.startsWith('stage ') && line.endsWith(' running'))).toEqual(
      status.stages.map((stage) => `stage ${stage.name} running`),
    );
    expect(lines.filter((line) => line.startsWith('build '))).toHaveLength(2 * targets.length);
    expect(lines.filter((line) => line.startsWith('artifact '))).toHaveLength(3 * status.artifacts.length);

    // Its history replays on today's workflow code; `pnpm --filter @relforge/release record-history` keeps it as the fixture.
    const history = await handle.fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, handle.workflowId);
    if (process.env['RELFORGE_RECORD_HISTORY'])
      writeFileSync(recordedHistories.current.release, `${historyToJSON(history)}\n`);
    // Secrets are named in the config and read on the worker: their values never reach history.
    const recorded = decodedHistory(historyToJSON(history));
    expect(secretsInHistory(historyToJSON(history), exampleSecrets(example))).toEqual([]);
    expect(recorded).toContain('RELFORGE_GITHUB_TOKEN');
    expect(recorded).toContain('RELFORGE_RELEASE_KEY');

    // The Web UI lists each step by what it does to what.
    const summaries = (history.events ?? [])
      .filter((event) => event.activityTaskScheduledEventAttributes)
      .map((event) => {
        const data = event.userMetadata?.summary?.data;
        return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as string) : undefined;
      });
    // The event steps, as many as the outbox's batches were, say which events they carry.
    const eventSteps = summaries.filter((summary) => summary?.includes('JetStream'));
    expect(eventSteps[0]).toBe('open the release event log in JetStream');
    for (const summary of eventSteps.slice(1)) expect(summary).toMatch(/^send events \d+\.\.\d+ to JetStream$/);
    expect(summaries.filter((summary) => !summary?.includes('JetStream')).sort()).toEqual(
      [
        'load the config and resolve the commit to release',
        ...targets.map((target) => `build ${target.replace('-', '/')} on relforge-build-${target}`),
        'build the source tarball',
        'checksum 5 files',
        `upload 15 files to s3://${example.bucket}`,
        `draft release v1.2.3 of ${example.repos.source} with 15 assets`,
        'attest where 15 files were published',
        `publish release v1.2.3 of ${example.repos.source}`,
        `commit hash lines to ${example.repos.hashes}`,
        `open the Dockerfiles pull request on ${example.repos.container}`,
        `open the release page pull request on ${example.repos.website}`,
      ].sort(),
    );

    const p = example.project;
    const tarballs = [...targets.map((target) => `${p}-${version}-${target}.tar.gz`), `${p}-${version}.tar.gz`];
    // The example signs: each sums file's signature, the provenance, and the publish attestation made last.
    const files = [
      ...tarballs,
      ...tarballs.map((file) => `${file}.sha256`),
      `${p}-${version}-SHA256SUMS`,
      `${p}-${version}-SHA512SUMS`,
      `${p}-${version}-SHA256SUMS.sig`,
      `${p}-${version}-SHA512SUMS.sig`,
      `${p}-${version}.provenance.intoto.jsonl`,
      `${p}-${version}.publish.intoto.jsonl`,
    ].sort();
    const artifacts = new Map(status?.artifacts.map((artifact) => [artifact.file, artifact]));
    expect([...artifacts.keys()].sort()).toEqual(files);

    // The digests hold for the files on the worker, by the real sha256sum.
    expect(
      sha256sumCheck(join(example.workRoot, p, version, 'artifacts'), `${p}-${version}-SHA256SUMS`)
        .trim()
        .split('\n'),
    ).toHaveLength(5);

    // S3: exactly these objects, each the bytes the release recorded; the same files staged on their way, keyed by
    // project, version and commit, but the publish attestation, made and uploaded by one step.
    const objects = await s3Objects(example);
    expect(objects.map((object) => object.Key).sort()).toEqual([
      ...files.map((file) => `releases/${file}`),
      ...files
        .filter((file) => !file.endsWith('.publish.intoto.jsonl'))
        .map((file) => `relforge-staging/${p}/${version}/${status?.sourceCommit}/${file}`),
    ]);
    const client = testS3Client();
    try {
      for (const file of files) {
        const head = await client.send(new HeadObjectCommand({ Bucket: example.bucket, Key: `releases/${file}` }));
        expect(head.Metadata?.['sha256']).toBe(artifacts.get(file)?.sha256);
      }
      const source = await client.send(
        new GetObjectCommand({ Bucket: example.bucket, Key: `releases/${p}-${version}.tar.gz` }),
      );
      const bytes = Buffer.from(
        await (source.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
      );
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(artifacts.get(`${p}-${version}.tar.gz`)?.sha256);
    } finally {
      client.destroy();
    }
    expect(artifacts.get(`${p}-${version}.tar.gz`)?.url).toBe(
      `http://127.0.0.1:${example.env['RELFORGE_S3_PORT']}/${example.bucket}/releases/${p}-${version}.tar.gz`,
    );

    // The forge: one published release, every asset once with the release's digest, and the tag at the built commit.
    const state = await example.admin.state();
    const releases = state.repos[example.repos.source]?.releases ?? [];
    expect(releases).toHaveLength(1);
    expect(releases[0]?.draft).toBe(false);
    expect(releases[0]?.tag).toBe(`v${version}`);
    expect(releases[0]?.assets.map((asset) => [asset.name, asset.sha256, asset.uploads]).sort()).toEqual(
      files.map((file) => [file, artifacts.get(file)?.sha256, 1]),
    );
    expect(await remoteRef(example.repos.source, `v${version}`)).toBe(status?.sourceCommit);
    expect(await example.admin.violations()).toEqual([]);

    // The checksum repository: one commit, a line per tarball.
    const hashes = await checkout(example.repos.hashes, 'main');
    try {
      expect(hashes.commits).toBe(2);
      for (const file of tarballs) {
        expect(hashes.read('README')).toContain(
          `hash ${file} sha256 ${artifacts.get(file)?.sha256} http://127.0.0.1:${example.env['RELFORGE_S3_PORT']}/${example.bucket}/releases/${file}\n`,
        );
      }
    } finally {
      hashes.done();
    }

    // The container repository: a pull request from update-1.2.3 carrying versions.json and the Dockerfiles.
    const pulls = state.repos[example.repos.container]?.pulls ?? [];
    expect(pulls.map((pull) => [pull.title, pull.head, pull.base, pull.state])).toEqual([
      ['Update to version 1.2.3', 'update-1.2.3', 'main', 'open'],
    ]);
    const container = await checkout(example.repos.container, 'update-1.2.3');
    try {
      expect(JSON.parse(container.read('versions.json'))['1.2']).toEqual({
        version,
        url: artifacts.get(`${p}-${version}.tar.gz`)?.url,
        sha256: artifacts.get(`${p}-${version}.tar.gz`)?.sha256,
      });
      const dockerfile = container.read('1.2/bookworm/Dockerfile');
      expect(dockerfile).toContain(`ENV HELLO_VERSION=${version}`);
      expect(dockerfile).toContain(
        `ENV HELLO_DOWNLOAD_SHA=${artifacts.get(`${p}-${version}-bookworm-x86_64.tar.gz`)?.sha256}`,
      );
      expect(container.read('1.2/trixie/Dockerfile')).toContain(
        `ENV HELLO_DOWNLOAD_URL=${artifacts.get(`${p}-${version}-trixie-x86_64.tar.gz`)?.url}`,
      );
    } finally {
      container.done();
    }

    // The website: a pull request adding the release page.
    const sitePulls = state.repos[example.repos.website]?.pulls ?? [];
    expect(sitePulls.map((pull) => pull.head)).toEqual(['update-website-1.2.3']);
    const site = await checkout(example.repos.website, 'update-website-1.2.3');
    try {
      const page = site.read('content/download/releases/v1-2-3.md');
      expect(page).toContain('title: "1.2.3"');
      expect(page).toContain(`artifact_fname: "${p}"`);
      expect(page).toMatch(/- distro: "bookworm"\n\s+arch:\n\s+- "x86_64"\n\s+- "arm64"/);
    } finally {
      site.done();
    }
  });
});
