/**
 * `relforge train start|next|promote|status`: a version's prereleases (2.0.0-beta.1, beta.2, rc.1) and then its final
 * release, each a normal release started by the train workflow `train/<project>/<version>`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Command } from 'commander';
import type { Client } from '@temporalio/client';
import {
  releaseWorkflowId,
  statusQuery,
  trainStatusQuery,
  trainWorkflowId,
  type TrainStatus,
  type TrainStep,
} from '@relforge/release';
import {
  startTrain,
  takeStep,
  trainStatus,
  type StepRequest,
  type TrainHandle,
  type TrainWait,
} from '@relforge/release-start';
import { exitCodes } from './errors.js';
import { releaseStarter } from './operator-audit.js';
import { connect, temporalTarget } from './temporal-target.js';

async function withClient<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connect(temporalTarget());
  try {
    return await use(client);
  } finally {
    await close();
  }
}

/** The CLI waits for a worker as long as it takes, saying once what to start. */
const waitForWorker = (project: string, version: string): Omit<TrainWait, 'patienceMs'> => ({
  onSlowWorker: () =>
    console.error(
      `relforge: train ${project} ${version} waits for a worker to take it; start one with \`relforge worker\` (or \`relforge stack up\`)`,
    ),
});

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

/**
 * What the running step's release waits for, when it awaits approval: the train knows only that its release runs, so
 * the release is asked (a query of the release, not of the train, which keeps the train's own code deterministic).
 */
async function awaitingApproval(client: Client, status: TrainStatus): Promise<string | undefined> {
  const running = status.steps.find((step) => step.outcome === 'running');
  if (!running) return undefined;
  const release = await client.workflow
    .getHandle(releaseWorkflowId(status.project, running.version))
    .query(statusQuery)
    .catch(() => undefined);
  if (release?.state !== 'awaiting-approval' || !release.approval) return undefined;
  const { approvals, required, digest } = release.approval;
  return `${running.version} is awaiting approval: ${approvals.length} of ${required} (digest set ${digest}; \`relforge approve ${status.project} ${running.version}\`)`;
}

function printStatus(status: TrainStatus, approval: string | undefined): void {
  const { project, version, state, channel, steps, finalWaitsFor, plan } = status;
  console.log(
    `train ${project} ${version}: ${state}, on ${channel} (channels ${[...plan.channels, 'final'].join(' → ')})`,
  );
  if (steps.length === 0) console.log('no prereleases yet');
  for (const step of steps) {
    const when = step.finishedAt ?? step.startedAt;
    console.log(`  ${step.version}  ${step.outcome}  ${when}${step.error ? `  ${step.error}` : ''}`);
  }
  if (approval) console.log(approval);
  if (state === 'finished') return;
  const waits = [...finalWaitsFor];
  const soakLeft = status.soakUntil ? Date.parse(status.soakUntil) - Date.now() : 0;
  if (soakLeft > 0) waits.push(`the soak time, ${Math.ceil(soakLeft / 1000)}s left (until ${status.soakUntil})`);
  if (waits.length === 0) console.log(`the final is ready: relforge train promote ${project} ${version} final`);
  else console.log(`the final waits for: ${waits.join('; ')}`);
}

/** A step asked for from this terminal: who asks (RELFORGE_GITHUB_LOGIN, else the OS user) starts its release. */
async function step(client: Client, project: string, version: string, request: StepRequest, wait: boolean) {
  const handle: TrainHandle = client.workflow.getHandle(trainWorkflowId(project, version));
  const taken = await takeStep(
    handle,
    project,
    version,
    { ...request, startedBy: releaseStarter() },
    waitForWorker(project, version),
  );
  return followStep(handle, taken, wait);
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
        const { handle } = await startTrain(client, {
          project,
          version,
          ...(options.channel ? { channel: options.channel } : {}),
        });
        const status = await trainStatus(handle, project, version, waitForWorker(project, version));
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
        return step(client, project, version, {}, options.wait);
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
        return step(client, project, version, { channel }, options.wait);
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
        const handle: TrainHandle = client.workflow.getHandle(trainWorkflowId(project, version));
        const status = await trainStatus(handle, project, version, waitForWorker(project, version));
        if (options.json) console.log(JSON.stringify(status, null, 2));
        else printStatus(status, await awaitingApproval(client, status));
      });
    });
  return command;
}
