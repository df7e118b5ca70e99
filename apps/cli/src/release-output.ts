/** How a release reads in a terminal: one line per stage change, then what it produced. */
import type { ReleaseStatus, StageState } from '@relforge/release';
import { workflowUiUrl } from '@relforge/temporal-connection';
import type { ReleaseRun } from './release-state.js';
import type { TemporalTarget } from './temporal-target.js';

const marks: Record<StageState, string> = {
  pending: ' ',
  running: '…',
  waiting: '⏸',
  'awaiting-approval': '⏸',
  succeeded: '✓',
  failed: '✗',
};

function seconds(stage: ReleaseStatus['stages'][number]): string {
  if (!stage.startedAt || !stage.finishedAt) return '';
  return ` (${((Date.parse(stage.finishedAt) - Date.parse(stage.startedAt)) / 1000).toFixed(1)} s)`;
}

/** A build that no worker of its platform has taken: which queue, and the command that starts a builder. */
function printBuildChanges(status: ReleaseStatus, seen: Map<string, string>): void {
  for (const build of status.builds ?? []) {
    const platform = `${build.target.distro}/${build.target.arch}`;
    if (seen.get(`build ${platform}`) === build.state) continue;
    const before = seen.get(`build ${platform}`);
    seen.set(`build ${platform}`, build.state);
    if (build.state === 'waiting-for-builder') {
      console.log(`⏸ build ${platform}: waiting for a builder on task queue ${build.taskQueue}`);
      console.log(
        `    start one on a ${platform} machine: ${build.startBuilder ?? `relforge worker --builds ${platform}`}`,
      );
    } else if (before === 'waiting-for-builder') {
      console.log(`… build ${platform}: a builder took it`);
    }
  }
}

export function printStageChanges(status: ReleaseStatus, seen: Map<string, string>): void {
  printBuildChanges(status, seen);
  for (const stage of status.stages) {
    if (seen.get(stage.name) === stage.state) continue;
    seen.set(stage.name, stage.state);
    if (stage.state === 'pending') continue;
    const outputs = Object.entries(stage.outputs)
      .map(([key, value]) => `${key}: ${value}`)
      .join(', ');
    console.log(
      `${marks[stage.state]} ${stage.name}${seconds(stage)}${outputs ? `  ${outputs}` : ''}${stage.error ? `\n    ${stage.error}` : ''}`,
    );
  }
}

/** A release held at its approval stage: the digest set, what it covers, who approved, and the command that approves. */
export function printAwaitingApproval(status: ReleaseStatus): void {
  const approval = status.approval;
  if (!approval) return;
  const { project, version } = status;
  console.log(
    `release ${project} ${version} is awaiting approval before ${approval.before}: ${approval.approvals.length} of ${approval.required} given`,
  );
  console.log(`  digest set: ${approval.digest}  (sha256 of ${approval.file}, which lists:)`);
  for (const covered of approval.covers) console.log(`    ${covered.sha256}  ${covered.file}`);
  for (const given of approval.approvals) console.log(`  approved by ${given.login} at ${given.at}`);
  for (const stale of approval.stale ?? [])
    console.log(`  no longer counts: ${stale.login} approved ${stale.digest.slice(0, 12)}… at ${stale.at}`);
  if (approval.startedBy) console.log(`  started by ${approval.startedBy.login} (${approval.startedBy.via})`);
  if (approval.deadline)
    console.log(
      `  deadline: ${approval.deadline}, then it ${approval.onTimeout === 'fail' ? 'fails' : 'waits for an operator'}`,
    );
  console.log(`  to approve: relforge approve ${project} ${version} --digest ${approval.digest}`);
}

export function printOutcome(run: ReleaseRun, target: TemporalTarget): void {
  const { status } = run;
  const title = `${status.project} ${status.version}`;
  if (run.how === 'completed' && !run.failed) console.log(`${title} is already released; nothing was changed.`);
  if (status.state === 'awaiting-approval' && status.approval) printAwaitingApproval(status);
  else if (run.waiting) {
    console.log(
      `release ${title} is waiting for an operator at ${status.currentStage ?? 'a stage'}: ${status.error ?? 'see the Web UI'}`,
    );
    console.log(
      `  once fixed: relforge resume ${status.project} ${status.version} [--reload-config] [--note "what you fixed"]`,
    );
    console.log(`  to give up: relforge abort ${status.project} ${status.version} --reason "why"`);
  } else if (run.failed)
    console.log(
      `release ${title} ${status.state === 'cancelled' ? 'was cancelled' : 'failed'}${status.currentStage ? ` at ${status.currentStage}` : ''}: ${status.error ?? 'see the Web UI'}`,
    );
  else console.log(`released ${title}${status.sourceCommit ? ` from ${status.sourceCommit.slice(0, 12)}` : ''}`);
  for (const entry of status.audit ?? []) {
    console.log(
      `  ${entry.at} ${entry.action}${entry.stage ? ` at ${entry.stage}` : ''}${entry.by ? ` by ${entry.by}` : ''}${entry.note ? `: ${entry.note}` : ''}`,
    );
  }
  for (const trigger of status.triggers ?? []) {
    console.log(
      `  ${trigger.at} webhook ${trigger.event} ${trigger.tag}${trigger.sender ? ` by ${trigger.sender}` : ''} (delivery ${trigger.deliveryId})`,
    );
  }
  if (status.config) console.log(`  config: ${status.config.path}  sha256 ${status.config.sha256}`);
  for (const stage of status.stages) {
    for (const [key, value] of Object.entries(stage.outputs)) console.log(`  ${stage.name} ${key}: ${value}`);
  }
  for (const artifact of status.artifacts)
    console.log(`  ${artifact.file}  sha256 ${artifact.sha256}${artifact.url ? `  ${artifact.url}` : ''}`);
  if (target.uiUrl) console.log(`Web UI: ${workflowUiUrl({ ...target, uiUrl: target.uiUrl }, run.workflowId)}`);
}
