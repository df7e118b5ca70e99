/**
 * `relforge train start|next|promote|status`: a version's prereleases (2.0.0-beta.1, beta.2, rc.1) and then its final
 * release, each a normal release started by the train workflow `train/<project>/<version>`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { InputError } from '@relforge/errors';
import {
  nextUpdate,
  promoteUpdate,
  trainStatusQuery,
  trainWorkflowId,
  type TrainInput,
  type TrainStatus,
  type TrainStep,
} from '@relforge/release';
import type { train } from '@relforge/release/workflows';
import { taskQueue } from '@relforge/temporal-names';
import { exitCodes } from './errors.js';
import { connect, temporalTarget } from './temporal-target.js';

type TrainHandle = WorkflowHandle<typeof train>;

async function withClient<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connect(temporalTarget());
  try {
    return await use(client);
  } finally {
    await close();
  }
}

/**
 * The train's status; a train that failed to start (a bad config, an unknown project) says why. A train whose first
 * task no worker has run yet answers no query: it is asked again until it does.
 */
async function trainStatus(handle: TrainHandle, project: string, version: string): Promise<TrainStatus> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await handle.query(trainStatusQuery);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError)
        throw new InputError(`there is no train ${project} ${version}`, {
          fix: `start it with \`relforge train start ${project} ${version}\``,
        });
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') {
        if (attempt === 15)
          console.error(
            `relforge: train ${project} ${version} waits for a worker to take it; start one with \`relforge worker\` (or \`relforge stack up\`)`,
          );
        await sleep(1_000);
        continue;
      }
      const ended = await handle.result().then(
        () => undefined,
        (failure: unknown) => failure,
      );
      if (ended instanceof WorkflowFailedError) {
        // The activity's failure carries its own fix after the message; it is the one to print.
        const [message = ended.message, fix] = (ended.cause?.message ?? ended.message).split(' — fix: ');
        throw new InputError(message, {
          fix: fix ?? `fix the cause, then start the train again: \`relforge train start ${project} ${version}\``,
        });
      }
      throw error;
    }
  }
}

/** An update the train refused: its validator named the field and what to do. */
function refused(error: unknown, project: string, version: string): never {
  const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
  if (!cause) throw error;
  throw new InputError(`train ${project} ${version} refused: ${cause.message}`, {
    fix: `see \`relforge train status ${project} ${version}\``,
  });
}

/** A train that can still take a step: it exists, started, and has not released its final. */
async function openTrain(handle: TrainHandle, project: string, version: string): Promise<void> {
  const status = await trainStatus(handle, project, version);
  if (status.state === 'finished')
    throw new InputError(`train ${project} ${version} is finished: ${version} is released`, {
      fix: `see \`relforge train status ${project} ${version}\`; a later version needs a train of its own`,
    });
}

/** Follows the step until the train records how its release ended; a worker restarting meanwhile is waited out. */
async function followStep(handle: TrainHandle, step: TrainStep, wait: boolean): Promise<number> {
  console.log(`releasing ${step.version} (${step.workflowId})`);
  if (!wait) return exitCodes.ok;
  for (;;) {
    const status = await handle.query(trainStatusQuery).catch(() => undefined);
    if (!status) {
      await sleep(1_000);
      continue;
    }
    const recorded = status.steps.find(
      (each) => each.workflowId === step.workflowId && each.startedAt === step.startedAt,
    );
    if (recorded && recorded.outcome !== 'running') {
      console.log(`${recorded.version} ${recorded.outcome}${recorded.error ? `: ${recorded.error}` : ''}`);
      return recorded.outcome === 'failed' ? exitCodes.failed : exitCodes.ok;
    }
    await sleep(1_000);
  }
}

function printStatus(status: TrainStatus): void {
  const { project, version, state, channel, steps, finalWaitsFor, plan } = status;
  console.log(
    `train ${project} ${version}: ${state}, on ${channel} (channels ${[...plan.channels, 'final'].join(' → ')})`,
  );
  if (steps.length === 0) console.log('no prereleases yet');
  for (const step of steps) {
    const when = step.finishedAt ?? step.startedAt;
    console.log(`  ${step.version}  ${step.outcome}  ${when}${step.error ? `  ${step.error}` : ''}`);
  }
  if (state === 'finished') return;
  const waits = [...finalWaitsFor];
  const soakLeft = status.soakUntil ? Date.parse(status.soakUntil) - Date.now() : 0;
  if (soakLeft > 0) waits.push(`the soak time, ${Math.ceil(soakLeft / 1000)}s left (until ${status.soakUntil})`);
  if (waits.length === 0) console.log(`the final is ready: relforge train promote ${project} ${version} final`);
  else console.log(`the final waits for: ${waits.join('; ')}`);
}

const waitOption = ['--no-wait', 'return once the release started, without waiting for its outcome'] as const;

export function trainCommand(): Command {
  const command = new Command('train').description(
    "a version's prereleases, channel by channel (beta.1, beta.2, rc.1), then its final release",
  );
  command
    .command('start')
    .description('start the train of a version (attaches to it when it runs)')
    .argument('<project>')
    .argument('<version>', 'the final version, e.g. 2.0.0')
    .option('--channel <channel>', "the channel to start on; the config's first unless given")
    .action(async (project: string, version: string, options: { channel?: string }) => {
      await withClient(async (client) => {
        const input: TrainInput = { project, version, ...(options.channel ? { channel: options.channel } : {}) };
        const handle = await client.workflow.start<typeof train>('train', {
          taskQueue,
          workflowId: trainWorkflowId(project, version),
          args: [input],
          staticSummary: `train ${project} ${version}`,
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        });
        const status = await trainStatus(handle, project, version);
        console.log(`train ${project} ${version} (${handle.workflowId}) is on ${status.channel}`);
      });
    });
  command
    .command('next')
    .description('release the next prerelease of the current channel')
    .argument('<project>')
    .argument('<version>')
    .option(...waitOption)
    .action(async (project: string, version: string, options: { wait: boolean }) => {
      process.exitCode = await withClient(async (client) => {
        const handle: TrainHandle = client.workflow.getHandle(trainWorkflowId(project, version));
        await openTrain(handle, project, version);
        const step = await handle
          .executeUpdate(nextUpdate, { args: [] })
          .catch((error: unknown) => refused(error, project, version));
        return followStep(handle, step, options.wait);
      });
    });
  command
    .command('promote')
    .description('move to a later channel and release its first prerelease, or to final: release the version')
    .argument('<project>')
    .argument('<version>')
    .argument('<channel>', 'a later channel of the config, or final')
    .option(...waitOption)
    .action(async (project: string, version: string, channel: string, options: { wait: boolean }) => {
      process.exitCode = await withClient(async (client) => {
        const handle: TrainHandle = client.workflow.getHandle(trainWorkflowId(project, version));
        await openTrain(handle, project, version);
        const step = await handle
          .executeUpdate(promoteUpdate, { args: [{ channel }] })
          .catch((error: unknown) => refused(error, project, version));
        return followStep(handle, step, options.wait);
      });
    });
  command
    .command('status')
    .description('every prerelease with its date and outcome, the channel, and what the final waits for')
    .argument('<project>')
    .argument('<version>')
    .option('--json', 'print JSON')
    .action(async (project: string, version: string, options: { json?: boolean }) => {
      await withClient(async (client) => {
        const status = await trainStatus(
          client.workflow.getHandle(trainWorkflowId(project, version)),
          project,
          version,
        );
        if (options.json) console.log(JSON.stringify(status, null, 2));
        else printStatus(status);
      });
    });
  return command;
}
