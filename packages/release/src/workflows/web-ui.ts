/**
 * What Temporal's Web UI shows of a release run: the value its state is listed as (`RelforgeState`), and the run's
 * current details, which say where it is and what it waits for, with the command that ends the wait.
 */
import type { ReleaseState, ReleaseStatus } from '../shared.js';

/**
 * A release waiting for an operator is listed as such: `RelforgeState="waiting-for-operator"`. `queued` is set by the
 * client that starts the run; the workflow's first task replaces it.
 */
export const searchedAs: Record<ReleaseState, string> = {
  queued: 'queued',
  preparing: 'preparing',
  running: 'running',
  waiting: 'waiting-for-operator',
  'awaiting-approval': 'awaiting-approval',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
};

/** The run's current details, in the Web UI's markdown. */
export function detailsOf(status: ReleaseStatus): string {
  const { project, version, state, currentStage, sourceCommit, error } = status;
  const release = `${project} ${version}${sourceCommit ? ` from ${sourceCommit.slice(0, 7)}` : ''}`;
  const stage = status.stages.find((candidate) => candidate.name === currentStage);
  const lines: string[] = [];
  if (state === 'preparing') lines.push(`Preparing ${release}: loading the config and resolving the commit.`);
  else if (state === 'running')
    lines.push(`Running **${currentStage ?? 'the first stage'}** (attempt ${stage?.attempts ?? 1}) of ${release}.`);
  else if (state === 'waiting')
    lines.push(
      `**Waiting for an operator** at ${currentStage ?? 'a stage'} of ${release}: ${error ?? 'a step failed'}`,
      '',
      `Fix the cause, then \`relforge resume ${project} ${version}\`, or \`relforge abort ${project} ${version} --reason "<why>"\`.`,
    );
  else if (state === 'awaiting-approval' && status.approval) {
    const { digest, approvals, required } = status.approval;
    lines.push(
      `**Awaiting approval** of ${release} (${approvals.length} of ${required}) before ${status.approval.before}: digest set ${digest}`,
      '',
      `Check the artifacts, then \`relforge approve ${project} ${version} --digest ${digest}\`.`,
    );
  } else lines.push(`${release} ${state}${state === 'failed' && error ? `: ${error}` : '.'}`);
  for (const build of status.builds ?? []) {
    if (build.state !== 'waiting-for-builder') continue;
    lines.push(
      '',
      `Build ${build.target.distro}/${build.target.arch} waits for a builder on ${build.taskQueue}: \`${build.startBuilder ?? ''}\``,
    );
  }
  return lines.join('\n');
}
