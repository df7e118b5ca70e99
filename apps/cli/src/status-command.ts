/** `relforge status [project] [version]`: one release in detail, or the latest releases. */
import { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { InputError } from '@relforge/errors';
import { releaseWorkflowId } from '@relforge/release';
import { RelforgeStage, RelforgeState } from '@relforge/temporal-names';
import { exitCodeOf } from './release-command.js';
import { printOutcome, printStageChanges } from './release-output.js';
import { endedStatus, runningStatus } from './release-state.js';
import { connect, temporalTarget } from './temporal-target.js';

export function statusCommand(): Command {
  return new Command('status')
    .description('show one release stage by stage, or list the latest releases')
    .argument('[project]', 'project name')
    .argument('[version]', 'version')
    .option('--json', 'print JSON')
    .action(async (project: string | undefined, version: string | undefined, options: { json?: boolean }) => {
      if (project && !version)
        throw new InputError('a project needs a version too', {
          fix: 'run `relforge status <project> <version>`, or `relforge status` for the list',
        });
      const target = temporalTarget();
      const { client, close } = await connect(target);
      try {
        if (!project || !version) {
          const rows: { workflowId: string; status: string; stage: string; state: string; started: string }[] = [];
          for await (const execution of client.workflow.list({ query: 'WorkflowType = "release"', pageSize: 20 })) {
            rows.push({
              workflowId: execution.workflowId,
              status: execution.status.name,
              stage: execution.typedSearchAttributes.get(RelforgeStage) ?? '',
              state: execution.typedSearchAttributes.get(RelforgeState) ?? '',
              started: execution.startTime.toISOString(),
            });
            if (rows.length === 20) break;
          }
          if (options.json) console.log(JSON.stringify(rows, null, 2));
          else if (rows.length === 0) console.log('no releases yet');
          else
            for (const row of rows)
              console.log(
                `${row.workflowId}  ${row.status.toLowerCase()}  ${row.state}${row.stage ? ` (${row.stage})` : ''}  ${row.started}`,
              );
          return;
        }
        const handle = client.workflow.getHandle(releaseWorkflowId(project, version));
        const description = await handle.describe().catch((error: unknown) => {
          if (error instanceof WorkflowNotFoundError) {
            throw new InputError(`no release of ${project} ${version} in namespace ${target.namespace}`, {
              fix: `start it with \`relforge release ${version} --config <file>\``,
            });
          }
          throw error;
        });
        const running = description.status.name === 'RUNNING';
        const { status } = running ? { status: await runningStatus(handle) } : await endedStatus(handle);
        if (options.json) {
          console.log(
            JSON.stringify({ workflowId: handle.workflowId, execution: description.status.name, ...status }, null, 2),
          );
        } else {
          printStageChanges(status, new Map());
          if (status.state !== 'running' && status.state !== 'preparing') {
            printOutcome(
              {
                workflowId: handle.workflowId,
                how: 'attached',
                status,
                failed: status.state === 'failed',
                waiting: status.state === 'waiting',
              },
              target,
            );
          }
        }
        process.exitCode = exitCodeOf({ failed: status.state === 'failed', waiting: status.state === 'waiting' });
      } finally {
        await close();
      }
    });
}
