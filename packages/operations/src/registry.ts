/**
 * The operations a person dispatches, one entry each: its name (the key of its rule in a config's `access`), what it
 * does, its inputs as a zod schema (listed as JSON Schema, like a workflow_dispatch form: strings, booleans, numbers,
 * choices) and how it runs against Temporal. The gateway and `relforge dispatch` know operations only through this.
 */
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { parseVersion, ReleaseVersionText, type OperationName } from '@relforge/config';
import {
  abortSignal,
  approvalRefusalStatus,
  ApprovalRefusedType,
  ApprovalRule,
  approveUpdate,
  releaseWorkflowId,
  resumeUpdate,
  trainWorkflowId,
  type ApprovalRefusal,
  type TrainStep,
} from '@relforge/release';
import {
  NoTrain,
  startRelease,
  startTrain,
  takeStep,
  trainStatus,
  TrainRefused,
  type StepRequest,
  type TrainWait,
} from '@relforge/release-start';
import { z } from 'zod';

/** What an operation runs with: the Temporal client, the project, and who asked (for the run's own audit trail). */
export interface RunContext {
  client: Client;
  project: string;
  login: string;
  /** The teams of the project's approval rule the caller is an active member of, asked of the forge by the gateway. */
  teams: string[];
}

export interface OperationResult {
  workflowId: string;
  /** started, attached, completed (nothing to do), resumed, abort-sent, approved, step-started (a train's). */
  how: string;
  /** One line for people: the CLI prints it, the issue-comment reply quotes it. */
  message: string;
}

/** The release is in no state this operation applies to: answered 409, nothing done. */
export class OperationConflict extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/**
 * The release's approval gate refused the approval: answered with the approval rule and the status the approve
 * endpoint answers it with (`approvalRefusalStatus`), so that both doors refuse a self-approval alike.
 */
export class ApprovalRefused extends Error {
  readonly status: 400 | 403 | 409;

  constructor(
    message: string,
    readonly rule: ApprovalRule,
    readonly fix: string,
  ) {
    super(message);
    // A rule a newer worker knows and this gateway does not is still a refused approval: the input's status.
    this.status = approvalRefusalStatus[rule] ?? approvalRefusalStatus[ApprovalRule.Input];
  }
}

const version = z
  .string()
  .refine((text) => ReleaseVersionText.safeParse(text).success, 'expected a release version such as 1.5.0 or 1.5.0-rc1')
  .meta({ description: 'The version, e.g. 1.5.0.' });
const reason = z.string().trim().min(1, 'say why, for the audit trail');

export interface Operation<Inputs extends z.ZodObject = z.ZodObject> {
  name: OperationName;
  description: string;
  inputs: Inputs;
  /** The workflow it starts or touches, for the audit record written before it runs: the release's unless given. */
  workflowId?(project: string, inputs: z.output<Inputs>): string;
  run(context: RunContext, inputs: z.output<Inputs>): Promise<OperationResult>;
}

const define = <Inputs extends z.ZodObject>(operation: Operation<Inputs>) => operation as unknown as Operation;

async function runningRelease(client: Client, project: string, version: string, what: string) {
  const handle = client.workflow.getHandle(releaseWorkflowId(project, version));
  const description = await handle.describe().catch((error: unknown) => {
    if (error instanceof WorkflowNotFoundError)
      throw new OperationConflict(
        `${project} ${version} has never been started: nothing to ${what}`,
        `dispatch release with version=${version} first`,
      );
    throw error;
  });
  if (description.status.name !== 'RUNNING')
    throw new OperationConflict(
      `${project} ${version} is not running (${description.status.name.toLowerCase()}): nothing to ${what}`,
      `see \`relforge status ${project} ${version}\``,
    );
  return handle;
}

/** A train is named by the version it ends with; its prereleases are numbered by the train itself. */
const finalVersion = z
  .string()
  .refine((text) => ReleaseVersionText.safeParse(text).success, 'expected a final version such as 2.0.0')
  .refine(
    (text) => !ReleaseVersionText.safeParse(text).success || !parseVersion(text).isPrerelease,
    'expected the final version such as 2.0.0, not a prerelease: the train numbers its prereleases itself',
  )
  .meta({ description: 'The final version the train ends with, e.g. 2.0.0.' });

/**
 * A dispatch answers within a request: a train no worker has taken within this long is reported started (or, for a
 * step, refused as not ready), not waited for.
 */
const trainPatience: TrainWait = { patienceMs: 20_000 };

/** What the train refused, answered 409 with its own words; there being no train is the same, with dispatch's fix. */
async function askTrain<T>(project: string, version: string, ask: () => Promise<T>): Promise<T> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof NoTrain)
      throw new OperationConflict(error.message, `dispatch train-start with version=${version} first`);
    if (error instanceof TrainRefused) throw new OperationConflict(error.message, error.fix);
    throw error;
  }
}

async function trainStep(
  { client, project, login }: RunContext,
  version: string,
  request: StepRequest,
): Promise<OperationResult> {
  const handle = client.workflow.getHandle(trainWorkflowId(project, version));
  // The caller becomes the step release's startedBy, so its approval gate refuses their own approval of it.
  const step: TrainStep = await askTrain(project, version, () =>
    takeStep(handle, project, version, { ...request, startedBy: { login, via: 'gateway' } }, trainPatience),
  );
  const what = request.channel === undefined ? 'next' : `promote ${request.channel}`;
  return {
    workflowId: handle.workflowId,
    how: 'step-started',
    message: `train ${project} ${version} ${what}: releasing ${step.version} (${step.workflowId})`,
  };
}

const trainId = (project: string, inputs: { version: string }) => trainWorkflowId(project, inputs.version);

export const operations: readonly Operation[] = [
  define({
    name: 'release',
    description: 'Release a version of the project: start it, or attach to the run in progress.',
    inputs: z.strictObject({
      version,
      fromTag: z
        .boolean()
        .default(false)
        .meta({ description: 'Build the commit the release tag points at (the tag exists already), not source.ref.' }),
    }),
    async run({ client, project, login }, inputs) {
      const { handle, how } = await startRelease(client, {
        project,
        version: inputs.version,
        ...(inputs.fromTag ? { fromTag: true } : {}),
        // Who asked, so an approval gate can refuse that person's own approval.
        startedBy: { login, via: 'gateway' },
      });
      const said = { started: 'started', attached: 'is running already; attached', completed: 'is released already' };
      return { workflowId: handle.workflowId, how, message: `release ${project} ${inputs.version} ${said[how]}` };
    },
  }),
  define({
    name: 're-release',
    description: 'Release a version that was released already, on purpose; published digests still cannot change.',
    inputs: z.strictObject({
      version,
      reason: reason.meta({ description: 'Why the version is released again, e.g. "asset deleted by mistake".' }),
    }),
    async run({ client, project, login }, inputs) {
      const { handle, how } = await startRelease(client, {
        project,
        version: inputs.version,
        rerelease: { reason: inputs.reason, by: login },
        // The re-releaser is its starter: the approval gate refuses their own approval of it.
        startedBy: { login, via: 'gateway' },
      });
      const message =
        how === 'attached'
          ? `${project} ${inputs.version} is being released right now; attached to that run`
          : `re-release of ${project} ${inputs.version} started`;
      return { workflowId: handle.workflowId, how, message };
    },
  }),
  define({
    name: 'resume',
    description: 'Resume a release waiting for an operator: the failed stage runs again.',
    inputs: z.strictObject({
      version,
      note: z.string().optional().meta({ description: 'Why, for the audit trail.' }),
      reloadConfig: z.boolean().default(false).meta({ description: "Read the project's config again first." }),
    }),
    async run({ client, project }, inputs) {
      const handle = await runningRelease(client, project, inputs.version, 'resume');
      const resumed = await handle
        .executeUpdate(resumeUpdate, {
          args: [
            { ...(inputs.note ? { note: inputs.note } : {}), ...(inputs.reloadConfig ? { reloadConfig: true } : {}) },
          ],
        })
        .catch((error: unknown) => {
          const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
          if (!cause) throw error;
          throw new OperationConflict(cause.message, `see \`relforge status ${project} ${inputs.version}\``);
        });
      return {
        workflowId: handle.workflowId,
        how: 'resumed',
        message: `resumed ${project} ${inputs.version} at ${resumed.resumed}`,
      };
    },
  }),
  define({
    name: 'abort',
    description:
      'Give up a release that waits for an operator; with rollback, undo what it made that was never public.',
    inputs: z.strictObject({
      version,
      reason: reason.meta({ description: 'Why, for the audit trail.' }),
      rollback: z
        .boolean()
        .default(false)
        .meta({ description: 'Undo what was never public (drafts, unmerged pull requests, unpublished files).' }),
    }),
    async run({ client, project }, inputs) {
      const handle = await runningRelease(client, project, inputs.version, 'abort');
      await handle.signal(abortSignal, { reason: inputs.reason, rollback: inputs.rollback });
      return {
        workflowId: handle.workflowId,
        how: 'abort-sent',
        message: `abort${inputs.rollback ? ' with rollback' : ''} sent to ${project} ${inputs.version}: ${inputs.reason}`,
      };
    },
  }),
  define({
    name: 'approve',
    description:
      'Approve the digest set a release awaits approval of: the sha256 of its SHA256SUMS file (relforge approve shows it).',
    inputs: z.strictObject({
      version,
      digest: z
        .string()
        .regex(/^[0-9a-f]{64}$/, "expected the sha256 of the release's SHA256SUMS file: 64 lowercase hex digits")
        .meta({ description: "The digest set you checked: the sha256 of the release's SHA256SUMS file." }),
    }),
    async run({ client, project, login, teams }, inputs) {
      const handle = client.workflow.getHandle(releaseWorkflowId(project, inputs.version));
      // The workflow's validator holds every approval rule (digest, approver, self-approval, repeat).
      const result = await handle
        .executeUpdate(approveUpdate, { args: [{ digest: inputs.digest, login, teams, via: 'token' }] })
        .catch((error: unknown) => {
          if (error instanceof WorkflowNotFoundError)
            throw new ApprovalRefused(
              `${project} ${inputs.version} is not awaiting approval: no run of it is open`,
              ApprovalRule.NotAwaiting,
              `see \`relforge status ${project} ${inputs.version}\``,
            );
          const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
          if (cause instanceof ApplicationFailure && cause.type === ApprovalRefusedType) {
            const refusal = cause.details?.[0] as ApprovalRefusal | undefined;
            throw new ApprovalRefused(
              cause.message,
              refusal?.rule ?? ApprovalRule.Input,
              refusal?.fix ?? `see \`relforge status ${project} ${inputs.version}\``,
            );
          }
          throw error;
        });
      return {
        workflowId: handle.workflowId,
        how: 'approved',
        message: `approved ${project} ${inputs.version}: ${result.approvals.length} of ${result.required} approvals of digest set ${inputs.digest}`,
      };
    },
  }),
  define({
    name: 'train-start',
    description:
      'Start the train of a version: its prereleases channel by channel, then its final (attaches when it runs).',
    inputs: z.strictObject({
      version: finalVersion,
      channel: z
        .string()
        .optional()
        .meta({ description: "The channel to start on, one of the config's train.channels; the first unless given." }),
    }),
    workflowId: trainId,
    async run({ client, project }, inputs) {
      const { handle, how } = await askTrain(project, inputs.version, () =>
        startTrain(client, {
          project,
          version: inputs.version,
          ...(inputs.channel ? { channel: inputs.channel } : {}),
        }),
      );
      // Asked once a worker has it, so that a train its config refuses (an unknown channel) is answered 409 now.
      const status = await askTrain(project, inputs.version, () =>
        trainStatus(handle, project, inputs.version, trainPatience),
      );
      const where = status ? `is on ${status.channel}` : 'waits for a worker to take it';
      const said = how === 'attached' ? 'is running already' : 'started';
      return {
        workflowId: handle.workflowId,
        how,
        message: `train ${project} ${inputs.version} ${said}; it ${where}`,
      };
    },
  }),
  define({
    name: 'train-next',
    description:
      "Release the next prerelease of the train's channel (2.0.0-beta.1, then beta.2); answers once its release started.",
    inputs: z.strictObject({ version: finalVersion }),
    workflowId: trainId,
    run: (context, inputs) => trainStep(context, inputs.version, {}),
  }),
  define({
    name: 'train-promote',
    description:
      'Move the train to a later channel and release its first prerelease, or to final: release the version itself.',
    inputs: z.strictObject({
      version: finalVersion,
      channel: z
        .string()
        .trim()
        .min(1, 'name a later channel of the train, or final')
        .meta({ description: "A later channel of the config's train.channels (e.g. rc), or final." }),
    }),
    workflowId: trainId,
    run: (context, inputs) => trainStep(context, inputs.version, { channel: inputs.channel }),
  }),
];

export function operationNamed(name: string): Operation | undefined {
  return operations.find((operation) => operation.name === name);
}
