/**
 * Files between machines: every step of a release on a worker of its own, sharing nothing but Temporal and the
 * bucket. Each step finds the files it needs staged by the step that made them, and the release is made once.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createReleaseActivities, type ReleaseActivities } from '@relforge/release/activities';
import { createExampleProject, releaseEffects, releasedOnce } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, release, servicesFor, type Connections } from './harness.js';

let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

describe('a release whose every step runs on another machine', () => {
  it('finds each file staged by the step that made it, and publishes everything once', async () => {
    const example = await createExampleProject();
    const version = '1.6.0';
    const machine = (name: string) => join(example.workRoot, '..', `machine-${name}`);
    const on = (name: string) => createReleaseActivities({ ...servicesFor(example), workRoot: machine(name) });
    const [prepare, builds, checksum, upload, draft, rest] = [
      'prepare',
      'builds',
      'checksum',
      'upload',
      'draft',
      'rest',
    ].map(on) as [
      ReleaseActivities,
      ReleaseActivities,
      ReleaseActivities,
      ReleaseActivities,
      ReleaseActivities,
      ReleaseActivities,
    ];
    const activities: ReleaseActivities = {
      ...rest,
      prepareRelease: prepare.prepareRelease,
      buildTarget: builds.buildTarget,
      buildSourceTarball: builds.buildSourceTarball,
      checksumArtifacts: checksum.checksumArtifacts,
      uploadArtifacts: upload.uploadArtifacts,
      stageForgeRelease: draft.stageForgeRelease,
    };
    const { status, failure } = await release(connections, example, version, activities);
    expect(failure?.cause?.message).toBeUndefined();
    expect(status?.state).toBe('succeeded');
    expect(await releaseEffects(example, version)).toEqual(releasedOnce);

    const files = (name: string) => {
      const dir = join(machine(name), example.project, version, 'artifacts');
      return existsSync(dir)
        ? readdirSync(dir)
            .filter((file) => !file.endsWith('.built-from'))
            .sort()
        : [];
    };
    const tarballs = (status?.artifacts ?? [])
      .map((artifact) => artifact.file)
      .filter((file) => file.endsWith('.tar.gz'));
    // The publish attestation is made, signed and uploaded by one step, after the last stage, on its own machine.
    const attestation = `${example.project}-${version}.publish.intoto.jsonl`;
    const all = (status?.artifacts ?? [])
      .map((artifact) => artifact.file)
      .filter((file) => file !== attestation)
      .sort();
    expect(files('builds')).toEqual(tarballs.sort());
    // The checksum machine fetched the tarballs and made the rest; the upload and draft machines fetched them all.
    expect(files('checksum')).toEqual(all);
    expect(files('upload')).toEqual(all);
    expect(files('draft')).toEqual(all);
    expect(files('prepare')).toEqual([]);
    expect(files('rest')).toEqual([attestation]);
  }, 240_000);
});
