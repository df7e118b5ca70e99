/** `relforge status [project] [version]`: one release in detail, or the latest releases. */
import { Command } from 'commander';
import { InputError } from '@relforge/errors';
import { RelforgeStage, RelforgeState } from '@relforge/temporal-names';
import { exitCodeOf, exitCodes } from './errors.js';
import { printOutcome, printStageChanges } from './release-output.js';
import { describeRelease, endedStatus, queuedSince, queuedStatus } from './release-state.js';
import { connect, temporalTarget } from './temporal-target.js';
import { liveWorkers, noWorkerMessage, noWorkerReason, runningStatus } from './workers.js';
import { printRollback } from './rollback-output.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('show one release stage by stage, or list the latest releases')
    .argument('[project]', 'project name')
    .argument('[version]', 'version')
    .option('--json', 'print JSON')
    .action(async (project: string | undefined, version: string | undefined, options: { json?: boolean }) => {
      if (project && !version) {
        throw new InputError('a project needs a version too', {
          fix: 'run `relforge status <project> <version>`, or `relforge status` for the list',
        });
      }
      const target = temporalTarget();
      const { client, close } = await connect(target);
      try {
        const workers = await liveWorkers(client, target.namespace);
        if (workers.length === 0 && !options.json) console.error(`relforge: ${noWorkerMessage(target)}`);
        if (!project || !version) {
          const rows: { workflowId: string; status: string; stage: string; state: string; started: string }[] = [];
          for await (const execution of client.workflow.list({ query: 'WorkflowType = "release"', pageSize: 20 })) {
            rows.push({
              workflowId: execution.workflowId,
              status: execution.status.name,
              stage: execution.typedSearchAttributes.get(RelforgeStage) ?? '',
              // A run whose first workflow task has not completed has no state of its own yet: it is queued.
              state:
                execution.typedSearchAttributes.get(RelforgeState) ??
                (execution.status.name === 'RUNNING' ? 'queued' : ''),
              started: execution.startTime.toISOString(),
            });
            if (rows.length === 20) break;
          }
          if (options.json) console.log(JSON.stringify(rows, null, 2));
          else if (rows.length === 0) console.log('no releases yet');
          else {
            for (const row of rows) {
              const stage = row.stage ? ` (${row.stage})` : '';
              console.log(`${row.workflowId}  ${row.status.toLowerCase()}  ${row.state}${stage}  ${row.started}`);
            }
          }
          return;
        }
        const { handle, execution, description } = await describeRelease(client, target, project, version);
        const queued = queuedSince(description);
        if (queued) {
          const status = queuedStatus(project, version);
          if (options.json) {
            const since = queued.toISOString();
            console.log(JSON.stringify({ workflowId: handle.workflowId, execution, ...status, since }, null, 2));
          } else
            console.log(`${project} ${version} is queued since ${queued.toISOString()}: no worker has taken it yet`);
          // Queued for want of a worker is the environment's to fix: said (once) and exit 3, as for a stalled release.
          const reason = await noWorkerReason(client, target, handle).catch(() => undefined);
          if (reason) {
            if (workers.length > 0 && !options.json) console.error(`relforge: ${reason}`);
            process.exitCode = exitCodes.environment;
          }
          return;
        }
        const { status } =
          execution === 'RUNNING' ? { status: await runningStatus(client, target, handle) } : await endedStatus(handle);
        const failed = status.state === 'failed' || status.state === 'cancelled';
        if (options.json) {
          console.log(JSON.stringify({ workflowId: handle.workflowId, execution, ...status }, null, 2));
        } else {
          printStageChanges(status, new Map());
          if (status.state !== 'running' && status.state !== 'preparing' && status.state !== 'queued') {
            printOutcome(
              {
                workflowId: handle.workflowId,
                how: 'attached',
                status,
                failed,
                waiting: status.state === 'waiting' || status.state === 'awaiting-approval',
              },
              target,
            );
          }
          if (status.rollback) printRollback(`${project} ${version}`, status.rollback);
        }
        const holds = status.state === 'waiting' || status.state === 'awaiting-approval';
        process.exitCode = exitCodeOf({ failed, waiting: holds });
      } finally {
        await close();
      }
    });
}
