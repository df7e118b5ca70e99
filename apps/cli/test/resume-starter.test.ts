/**
 * `relforge resume` of a lost release starts a new run, and so is one of its starters: the new run records who resumed
 * it, and its approval stage refuses their approval as it refuses that of the one who started the release. On the
 * suite's servers, with the worker as its own process and the CLI pointed at them.
 */
import { mkdtempSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import {
  approveUpdate,
  releaseWorkflowId,
  statusQuery,
  type ApprovalRefusal,
  type ReleaseInput,
  type ReleaseStatus,
} from '@relforge/release';
import { createExampleProject, stopGracefully, suiteClient, testStack, until, workerProcess } from '@relforge/testkit';
import { workerMain } from '@relforge/worker';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const client = suiteClient();

/** The CLI pointed at the suite's Temporal server as `login`, with a state folder of its own so no local stack is read. */
function cliAs(login: string): NodeJS.ProcessEnv {
  const { temporal } = testStack();
  return {
    RELFORGE_TEMPORAL_ADDRESS: temporal.address,
    RELFORGE_NAMESPACE: temporal.namespace,
    RELFORGE_STATE_DIR: mkdtempSync(join(tmpdir(), 'relforge-resume-cli-')),
    RELFORGE_GITHUB_LOGIN: login,
  };
}

describe('relforge resume of a lost release that awaits approval', () => {
  it(
    'records who resumed it, and the new run refuses their approval and the first starter’s; another approver’s is accepted',
    { timeout: 300_000 },
    async () => {
      const example = await createExampleProject();
      // Held after publish, where a lost run is resumed whole (its published provenance is kept; a staged one from
      // the lost run names that run, and a new run refuses to replace it).
      appendFileSync(
        example.configPath,
        'approval:\n  before: checksum-repo\n  approvers:\n    users: [alice, bob, carol]\n',
      );
      const worker = workerProcess(example, { main: workerMain });
      try {
        const version = '4.2.0';
        const release = `release ${example.project} ${version}`;
        const handle = client().workflow.getHandle(releaseWorkflowId(example.project, version));
        const awaitingApproval = (notRun?: string) =>
          until(
            `${release} to await approval`,
            async () => {
              if (notRun !== undefined && (await handle.describe()).runId === notRun) return undefined;
              const status = await handle.query(statusQuery).catch(() => undefined);
              return status?.state === 'awaiting-approval' ? status : undefined;
            },
            180_000,
            250,
          );

        // Both commands follow the run until it waits for a person: here, for an approval (exit 4).
        const started = await runCli(['release', version, '--config', example.configPath], cliAs('alice'));
        expect(started.code, started.stderr).toBe(4);
        await awaitingApproval();
        const lostRunId = (await handle.describe()).runId;
        await handle.terminate('test: lost run');

        const resume = await runCli(['resume', example.project, version], cliAs('bob'));
        expect(resume.code, resume.stderr).toBe(4);
        expect(resume.stdout).toContain('the last run terminated; started a new run that skips what is already done');
        const waiting: ReleaseStatus = await awaitingApproval(lostRunId);
        const digest = waiting.approval?.digest ?? '';
        const history = await handle.fetchHistory();
        const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
        expect(payload && defaultPayloadConverter.fromPayload<ReleaseInput>(payload)).toMatchObject({
          startedBy: { login: 'alice', via: 'cli' },
          resumedBy: [{ login: 'bob', via: 'cli' }],
        });

        const refusalOf = async (login: string) => {
          const error: unknown = await handle.executeUpdate(approveUpdate, { args: [{ digest, login }] }).then(
            () => undefined,
            (caught: unknown) => caught,
          );
          const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
          expect(cause, `${login}'s approval`).toBeInstanceOf(ApplicationFailure);
          const failure = cause as ApplicationFailure;
          return { message: failure.message, ...(failure.details?.[0] as ApprovalRefusal) };
        };
        expect(await refusalOf('bob')).toEqual({
          rule: 'self-approval',
          field: 'approve.login',
          fix: 'ask another approver',
          message: `approve.login: bob started a new run of ${release} and may not approve it (approval.allowSelfApproval is false)`,
        });
        expect(await refusalOf('alice')).toEqual({
          rule: 'self-approval',
          field: 'approve.login',
          fix: 'ask another approver',
          message: `approve.login: alice started ${release} and may not approve it (approval.allowSelfApproval is false)`,
        });
        expect(await handle.executeUpdate(approveUpdate, { args: [{ digest, login: 'carol' }] })).toMatchObject({
          approved: true,
          approvals: [{ login: 'carol' }],
        });

        const released = (await handle.result()) as ReleaseStatus;
        expect(released.state).toBe('succeeded');
        expect(released.approval?.approvals.map((given) => given.login)).toEqual(['carol']);
      } finally {
        await stopGracefully(worker);
      }
    },
  );
});
