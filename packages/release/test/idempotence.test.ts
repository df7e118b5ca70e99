import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DigestedArtifact, ReleasePlan } from '@relforge/release';
import { createReleaseActivities, type ReleaseActivities } from '@relforge/release/activities';
import { createExampleProject, testStack, type ExampleProject } from '@relforge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsOf } from './event-log.js';
import { connect, release, servicesFor, suiteEventLog, type Connections } from './harness.js';
import { checkout, remoteRef, s3Objects, s3Policy } from './inspect.js';

const events = suiteEventLog();
let connections: Connections;
beforeAll(async () => {
  connections = await connect();
});
afterAll(async () => {
  await connections?.close();
});

type Call = { name: keyof ReleaseActivities; args: unknown[]; result?: unknown };

/** The activities, recording each call's input so the test can run it again. */
function recorded(activities: ReleaseActivities, calls: Call[]): ReleaseActivities {
  const wrapped: Record<string, unknown> = {};
  for (const [name, activity] of Object.entries(activities) as [
    keyof ReleaseActivities,
    (...args: unknown[]) => Promise<unknown>,
  ][]) {
    wrapped[name] = async (...args: unknown[]) => {
      const call: Call = { name, args: structuredClone(args) };
      calls.push(call);
      call.result = structuredClone(await activity(...args));
      return call.result;
    };
  }
  return wrapped as ReleaseActivities;
}

/** Every effect a release has, as counts and identities that a second run of any step would change. */
async function effects(example: ExampleProject, version: string, log: ReturnType<typeof events>['log']) {
  const artifactsDir = join(example.workRoot, example.project, version, 'artifacts');
  const state = await example.admin.state();
  const hashes = await checkout(example.repos.hashes, 'main');
  hashes.done();
  return {
    s3: (await s3Objects(example)).map((object) => [object.Key, object.ETag, object.LastModified?.toISOString()]),
    bucketPolicy: await s3Policy(example),
    events: (await eventsOf(log, testStack().temporal.namespace, { project: example.project, version })).map(
      (event) => [event.id, event.type],
    ),
    releases: state.repos[example.repos.source]?.releases,
    containerPulls: state.repos[example.repos.container]?.pulls,
    websitePulls: state.repos[example.repos.website]?.pulls,
    hashesHead: hashes.head,
    hashesCommits: hashes.commits,
    containerBranch: await remoteRef(example.repos.container, `update-${version}`),
    websiteBranch: await remoteRef(example.repos.website, `update-website-${version}`),
    tag: await remoteRef(example.repos.source, `v${version}`),
    artifacts: readdirSync(artifactsDir)
      .sort()
      .map((file) => [file, statSync(join(artifactsDir, file)).mtimeMs, readFileSync(join(artifactsDir, file)).length]),
  };
}

describe('each release activity run a second time', () => {
  it('has no second effect: no object, asset, release, commit, branch or pull request is made again', async () => {
    const example = await createExampleProject();
    const version = '2.0.0-rc1';
    const { log } = events();
    const activities = createReleaseActivities({ ...servicesFor(example), events: log });
    const calls: Call[] = [];
    const first = await release(connections, example, version, recorded(activities, calls));
    expect(first.status?.state).toBe('succeeded');
    // Every activity but those no release that succeeds calls: the undo steps of an abort with rollback (their
    // look-before-delete is tested where they run, in test/fast/rollback.test.ts and apps/cli/test/rollback.test.ts)
    // and the train's config read (test/fast/train.test.ts).
    const notInARelease = new Set<string>([
      'withdrawPullRequest',
      'withdrawForgeRelease',
      'withdrawUploads',
      'withdrawStagedFiles',
      'prepareTrain',
    ]);
    expect(new Set(calls.map((call) => call.name))).toEqual(
      new Set(Object.keys(activities).filter((name) => !notInARelease.has(name))),
    );

    const before = await effects(example, version, log);
    // The event log is an effect too: running an event step again must not append what it stored.
    expect(before.events.length).toBeGreaterThan(50);
    expect(before.releases?.[0]?.assets.every((asset) => asset.uploads === 1)).toBe(true);
    expect(before.containerPulls).toHaveLength(1);
    expect(before.websitePulls).toHaveLength(1);
    expect(before.bucketPolicy?.Statement).toHaveLength(1);
    // Run as a retry of the same run would be: with its workflow id and run id, and a client (prepare looks for earlier runs).
    const environment = new MockActivityEnvironment(
      { workflowExecution: { workflowId: first.handle.workflowId, runId: first.handle.firstExecutionRunId } },
      { client: connections.client },
    );
    const results: Record<string, unknown> = {};
    const reruns = new Map<Call, unknown>();
    for (const call of calls) {
      results[call.name] = await environment.run(
        activities[call.name] as (...args: unknown[]) => Promise<unknown>,
        ...call.args,
      );
      reruns.set(call, results[call.name]);
    }
    expect(await effects(example, version, log)).toEqual(before);
    // 12 files, 2 signatures and the provenance; the publish attestation found as the first run left it.
    expect(results['uploadArtifacts']).toMatchObject({ uploaded: 0, unchanged: 15, bucketPolicy: 'unchanged' });
    expect(results['stageForgeRelease']).toMatchObject({ uploaded: 0, unchanged: 15 });
    expect(results['attestPublication']).toMatchObject({ status: 'unchanged' });
    expect(results['publishForgeRelease']).toMatchObject({ alreadyPublished: true });
    expect(results['updateChecksumRepo']).toMatchObject({ added: 0, unchanged: 5 });
    expect(results['updateContainerRepo']).toMatchObject({ status: 'existing' });
    expect(results['updateWebsite']).toMatchObject({ status: 'existing' });
    expect(await example.admin.violations()).toEqual([]);

    // A release started on older code hands newer workers the whole plan; each step takes that shape too, alike.
    const plan = calls.find((call) => call.name === 'prepareRelease')?.result as ReleasePlan;
    const digested = calls.find((call) => call.name === 'checksumArtifacts')?.result as DigestedArtifact[];
    const fromPlan = (call: Call): Record<string, unknown> => {
      const input = call.args[0] as { target?: unknown; artifacts?: unknown; releaseId?: unknown };
      if (call.name === 'buildTarget') return { plan, target: input.target };
      if (call.name === 'buildSourceTarball') return { plan };
      if (call.name === 'checksumArtifacts') return { plan, artifacts: input.artifacts };
      if (call.name === 'publishForgeRelease') return { plan, releaseId: input.releaseId, artifacts: digested };
      return { plan, artifacts: digested };
    };
    // The publish attestation and the event steps came after steps got only their part: no older shape to accept.
    const newer = new Set<string>(['prepareRelease', 'attestPublication', 'openEventLog', 'publishEvents']);
    for (const call of calls.filter((each) => !newer.has(each.name))) {
      const again = await environment.run(
        activities[call.name] as (...args: unknown[]) => Promise<unknown>,
        fromPlan(call),
      );
      expect([call.name, again]).toEqual([call.name, reruns.get(call)]);
    }
    expect(await effects(example, version, log)).toEqual(before);
  });
});
