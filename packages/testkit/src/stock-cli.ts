/** The stock `temporal` CLI, as a tag-triggered CI job or an operator runs it: plain JSON, default policies. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { serverBinary } from '@relforge/local-servers';
import { taskQueue } from '@relforge/temporal-names';

const run = promisify(execFile);

/** `temporal workflow start --type release` of `workflowId`; `ok: false` with the CLI's output when it refuses. */
export async function stockStartRelease(
  temporal: { address: string; namespace: string },
  workflowId: string,
  input: object,
): Promise<{ ok: boolean; output: string }> {
  const args = ['workflow', 'start', '--address', temporal.address, '--namespace', temporal.namespace];
  args.push(
    '--type',
    'release',
    '--task-queue',
    taskQueue,
    '--workflow-id',
    workflowId,
    '--input',
    JSON.stringify(input),
  );
  return run(serverBinary('temporal'), args).then(
    ({ stdout }) => ({ ok: true, output: stdout }),
    (error: { stdout?: string; stderr?: string }) => ({
      ok: false,
      output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
    }),
  );
}
