import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { decodedHistory } from '@relforge/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { quietLogger, recordedHistoryPath, recordedParkedHistoryPath, workflowBundle } from './harness.js';

// Fixture source for workflow code, spelled so this test file is not itself mistaken for workflow code.
const workflowSdk = '@temporalio/workflow';

const recorded = historyFromJSON(JSON.parse(readFileSync(recordedHistoryPath, 'utf8')));
const parked = historyFromJSON(JSON.parse(readFileSync(recordedParkedHistoryPath, 'utf8')));

describe('the recorded release history', () => {
  it('is a whole, successful release', () => {
    const types = recorded.events?.map((event: { eventType?: unknown }) => event.eventType) ?? [];
    expect(types.length).toBeGreaterThan(50);
    expect(recorded.events?.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
  });

  it('replays on the current workflow code without a determinism error', async () => {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, recorded, 'release/recorded');
  });

  it('of a release parked for an operator and resumed, with its patch marker and update, replays too', async () => {
    const events = parked.events ?? [];
    const patch = events.find((event) => event.markerRecordedEventAttributes?.markerName === 'core_patch');
    expect(patch).toBeDefined();
    expect(decodedHistory(readFileSync(recordedParkedHistoryPath, 'utf8'))).toContain('"id":"wait-for-operator"');
    expect(events.some((event) => event.workflowExecutionUpdateAcceptedEventAttributes)).toBe(true);
    expect(events.at(-1)?.workflowExecutionCompletedEventAttributes).toBeTruthy();
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, parked, 'release/recorded-parked');
  });

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
