import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { taskQueue } from '@relforge/temporal-names';
import { decodedHistory } from '@relforge/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { quietLogger, recordedHistories, workflowBundle } from './harness.js';

// Fixture source for workflow code, spelled so this test file is not itself mistaken for workflow code.
const workflowSdk = '@temporalio/workflow';

const load = (path: string) => historyFromJSON(JSON.parse(readFileSync(path, 'utf8')));
type History = ReturnType<typeof load>;

/** The types of the activities a history scheduled, in order. */
const scheduledTypes = (history: History) =>
  (history.events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes?.activityType?.name ?? []);

/** The task queues the history's builds of matrix targets were scheduled on. */
const buildQueues = (history: History) =>
  new Set(
    (history.events ?? [])
      .map((event) => event.activityTaskScheduledEventAttributes)
      .filter((scheduled) => scheduled?.activityType?.name === 'buildTarget')
      .map((scheduled) => scheduled?.taskQueue?.name),
  );

describe.each([
  {
    recorded: 'before builds per platform',
    paths: recordedHistories.beforePlatforms,
    platformPatch: false,
    attestationPatch: false,
    eventsPatch: false,
  },
  {
    recorded: 'with builds per platform, before signing and events',
    paths: recordedHistories.perPlatform,
    platformPatch: true,
    attestationPatch: false,
    eventsPatch: false,
  },
  {
    recorded: 'signed, with the publish attestation',
    paths: recordedHistories.signed,
    platformPatch: true,
    attestationPatch: true,
    eventsPatch: false,
  },
  {
    recorded: 'with release events',
    paths: recordedHistories.events,
    platformPatch: true,
    attestationPatch: false,
    eventsPatch: true,
  },
  {
    recorded: 'signed, with release events',
    paths: recordedHistories.current,
    platformPatch: true,
    attestationPatch: true,
    eventsPatch: true,
  },
])('the release histories recorded $recorded', ({ paths, platformPatch, attestationPatch, eventsPatch }) => {
  const recorded = load(paths.release);
  const parked = load(paths.parked);

  it('are a whole, successful release and a parked-and-resumed one', () => {
    const types = recorded.events?.map((event: { eventType?: unknown }) => event.eventType) ?? [];
    expect(types.length).toBeGreaterThan(50);
    expect(recorded.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    expect(parked.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it(`build ${platformPatch ? 'each target on its platform queue, behind its patch' : 'every target on the main queue'}`, () => {
    for (const path of [paths.release, paths.parked]) {
      expect(decodedHistory(readFileSync(path, 'utf8')).includes('"id":"build-per-platform"')).toBe(platformPatch);
    }
    expect(buildQueues(recorded)).toEqual(
      platformPatch
        ? new Set(
            ['bookworm-x86_64', 'bookworm-arm64', 'trixie-x86_64', 'trixie-arm64'].map((p) => `relforge-build-${p}`),
          )
        : new Set([taskQueue]),
    );
  });

  it(`${attestationPatch ? 'attest where the files went, behind its patch' : 'attest nothing'}`, () => {
    for (const path of [paths.release, paths.parked]) {
      const text = decodedHistory(readFileSync(path, 'utf8'));
      expect(text.includes('"id":"publish-attestation"')).toBe(attestationPatch);
      expect(scheduledTypes(load(path)).includes('attestPublication')).toBe(attestationPatch);
    }
  });

  it(`${eventsPatch ? 'log their events through the event steps, behind their patch' : 'have no event steps'}`, () => {
    for (const [path, history] of [
      [paths.release, recorded],
      [paths.parked, parked],
    ] as const) {
      expect(decodedHistory(readFileSync(path, 'utf8')).includes('"id":"release-events"')).toBe(eventsPatch);
      const steps = (history.events ?? []).map(
        (event) => event.activityTaskScheduledEventAttributes?.activityType?.name,
      );
      expect(steps.filter((name) => name === 'openEventLog')).toHaveLength(eventsPatch ? 1 : 0);
      expect(steps.includes('publishEvents')).toBe(eventsPatch);
    }
  });

  it('replay on the current workflow code without a determinism error', async () => {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, recorded, 'release/recorded');
  });

  it('of a release parked for an operator and resumed, with its patch marker and update, replays too', async () => {
    const events = parked.events ?? [];
    const patch = events.find((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch');
    expect(patch).toBeDefined();
    expect(decodedHistory(readFileSync(paths.parked, 'utf8'))).toContain('"id":"wait-for-operator"');
    expect(events.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toBe(true);
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, parked, 'release/recorded-parked');
  });
});

describe('the release history started by webhook triggers', () => {
  const triggered = load(recordedHistories.triggered);
  it('holds the trigger patch marker and two distinct triggers delivered twice each by signal-with-start', () => {
    const text = decodedHistory(readFileSync(recordedHistories.triggered, 'utf8'));
    expect(text).toContain('"id":"github-triggers"');
    const signals = (triggered.events ?? []).filter(
      (event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'trigger',
    );
    expect(signals).toHaveLength(4);
    expect(triggered.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it('replays on the current workflow code without a determinism error', async () => {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, triggered, 'release/recorded-triggered');
  });
});

describe('the release history aborted with rollback', () => {
  const rolledBack = load(recordedHistories.rollback);
  it('holds the rollback patch marker and its undo steps, newest effect first', () => {
    expect(decodedHistory(readFileSync(recordedHistories.rollback, 'utf8'))).toContain('"id":"abort-rollback"');
    expect(scheduledTypes(rolledBack).filter((type) => type.startsWith('withdraw'))).toEqual([
      'withdrawPullRequest',
      'withdrawPullRequest',
      'withdrawForgeRelease',
      'withdrawUploads',
      'withdrawStagedFiles',
    ]);
    expect(rolledBack.events?.at(-1)?.workflowExecutionFailedEventAttributes).toBeTruthy();
  });

  it('replays on the current workflow code without a determinism error', async () => {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, rolledBack, 'release/recorded-rollback');
  });
});

describe('the release history held at its approval stage', () => {
  const approved = load(recordedHistories.approval);
  it('holds the approval-gate patch marker and the approve updates it accepted', () => {
    const text = decodedHistory(readFileSync(recordedHistories.approval, 'utf8'));
    expect(text).toContain('"id":"approval-gate"');
    const accepted = (approved.events ?? []).filter((event) => event.workflowExecutionUpdateAcceptedEventAttributes);
    expect(
      accepted.map((event) => event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name),
    ).toEqual(['approve', 'approve']);
    expect(approved.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it('replays on the current workflow code without a determinism error', async () => {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, approved, 'release/recorded-approval');
  });
});

describe('the train history recorded before trains logged events', () => {
  const recorded = load(recordedHistories.train);
  it('is a whole train: a prerelease and the final as child releases, no event step, no train-events marker', () => {
    const events = recorded.events ?? [];
    const children = events.flatMap(
      (event) => event.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? [],
    );
    expect(children.map((id) => id.replace(/^release\/[^/]+\//, ''))).toEqual(['2.0.0-beta.1', '2.0.0']);
    expect(scheduledTypes(recorded)).toEqual(['prepareTrain']);
    expect(decodedHistory(readFileSync(recordedHistories.train, 'utf8'))).not.toContain('"id":"train-events"');
    expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it('replays on the current workflow code without a determinism error', async () => {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, recorded, 'train/recorded');
  });
});

describe('the replay guard', () => {
  const recorded = load(recordedHistories.beforePlatforms.release);
  // The guard must be able to fail: workflow code that schedules other activities than the history recorded is refused.
  const dir = mkdtempSync(join(import.meta.dirname, '.replay-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('fails on workflow code that changed incompatibly', async () => {
    const changed = join(dir, 'workflows.js');
    writeFileSync(
      changed,
      [
        `import { proxyActivities } from '${workflowSdk}';`,
        "const { checksumArtifacts } = proxyActivities({ startToCloseTimeout: '1 minute' });",
        '// "Forgot" to prepare and build first: a reordering of the release steps.',
        'export async function release(input) { return checksumArtifacts({ input }); }',
      ].join('\n'),
    );
    const bundle = await bundleWorkflowCode({ workflowsPath: changed, logger: quietLogger });
    await expect(Worker.runReplayHistory({ workflowBundle: bundle }, recorded, 'release/recorded')).rejects.toThrow(
      /[Nn]ondeterminis|DeterminismViolation/,
    );
  });
});
