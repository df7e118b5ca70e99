/**
 * One release as a card: its state, its stages as a timeline with durations, its artifacts with digests and URLs, a
 * waiting release's error and fix, an approval's digest and button, and its link to the Temporal Web UI; and one
 * train as a card: its channel, each step with its dates, outcome and a link to its release's card, and what the
 * final waits for. Plain HTML strings, every value escaped; a card is replaced only when its HTML changes.
 */
import { splitFix } from '@relforge/errors';
import type { BoardRelease, BoardStatus, BoardTrain, TrainStatus } from './types.js';

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const html = (value: unknown) => String(value ?? '').replace(/[&<>"']/g, (char) => escapes[char] ?? char);

export type Group = 'running' | 'waiting' | 'recent';

/** Where a release is listed: by its folded status when the events gave one, else by Temporal's search attribute. */
export function groupOf(release: BoardRelease): Group {
  const state = release.status?.state ?? release.state;
  if (state === 'waiting' || state === 'waiting-for-operator' || state === 'awaiting-approval') return 'waiting';
  if (state === 'queued' || state === 'preparing' || state === 'running') {
    // A run that ended without a last event (terminated, lost) is not running, whatever its log said last.
    return release.status || release.execution === 'RUNNING' ? 'running' : 'recent';
  }
  return 'recent';
}

export function seconds(from: string | undefined, to: string | undefined, now: number): string {
  if (!from) return '';
  const end = to ? Date.parse(to) : now;
  const total = Math.max(0, (end - Date.parse(from)) / 1000);
  return total < 60 ? `${total.toFixed(1)} s` : `${Math.floor(total / 60)} min ${Math.round(total % 60)} s`;
}

function timeline(status: BoardStatus, now: number): string {
  const starts = status.stages.map((stage) => stage.startedAt).filter((at): at is string => at !== undefined);
  const origin = starts.length > 0 ? Math.min(...starts.map((at) => Date.parse(at))) : now;
  const ends = status.stages.map((stage) =>
    stage.finishedAt ? Date.parse(stage.finishedAt) : stage.startedAt ? now : origin,
  );
  const span = Math.max(1, Math.max(origin + 1, ...ends) - origin);
  const rows = status.stages.map((stage) => {
    const start = stage.startedAt ? Date.parse(stage.startedAt) : undefined;
    const end = stage.finishedAt ? Date.parse(stage.finishedAt) : now;
    const left = start === undefined ? 0 : ((start - origin) / span) * 100;
    const width = start === undefined ? 0 : Math.max(0.8, ((end - start) / span) * 100);
    const outputs = Object.entries(stage.outputs)
      .map(([key, value]) => `<span class="output">${html(key)}: ${linkOrText(value)}</span>`)
      .join(' ');
    const attempts = (stage.attempts ?? 1) > 1 ? ` <span class="attempts">attempt ${html(stage.attempts)}</span>` : '';
    return `<li class="stage" data-testid="stage" data-stage="${html(stage.name)}" data-state="${html(stage.state)}">
      <span class="stage-name">${html(stage.name)}</span>
      <span class="stage-state">${html(stage.state)}</span>
      <span class="track"><span class="bar" style="margin-left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></span></span>
      <span class="duration">${html(seconds(stage.startedAt, stage.finishedAt, now))}</span>${attempts}
      <div class="outputs">${outputs}</div>
    </li>`;
  });
  return `<ol class="stages">${rows.join('')}</ol>`;
}

function linkOrText(value: string): string {
  return /^https?:\/\//.test(value) ? `<a href="${html(value)}">${html(value)}</a>` : html(value);
}

function artifacts(status: BoardStatus): string {
  if (status.artifacts.length === 0) return '';
  // Folded away once the release ended: the wall shows what moves, the digests are a click away.
  const open = status.state === 'succeeded' || status.state === 'failed' || status.state === 'cancelled' ? '' : ' open';
  const rows = status.artifacts.map(
    (
      artifact,
    ) => `<tr data-testid="artifact" data-file="${html(artifact.file)}" data-state="${html(artifact.state ?? '')}">
      <td class="file">${artifact.url ? `<a href="${html(artifact.url)}">${html(artifact.file)}</a>` : html(artifact.file)}</td>
      <td class="artifact-state">${html(artifact.state ?? '')}</td>
      <td class="digest" title="sha512 ${html(artifact.sha512)}"><code>sha256:${html(artifact.sha256)}</code></td>
    </tr>`,
  );
  return `<details class="artifacts"${open}><summary>${status.artifacts.length} artifacts</summary>
    <table>${rows.join('')}</table></details>`;
}

function builds(status: BoardStatus): string {
  const waiting = (status.builds ?? []).filter((build) => build.state === 'waiting-for-builder');
  return waiting
    .map(
      (build) =>
        `<p class="builder" data-testid="waiting-for-builder">build ${html(build.target.distro)}/${html(build.target.arch)} waits for a builder on ${html(build.taskQueue)}: <code>${html(build.startBuilder ?? '')}</code></p>`,
    )
    .join('');
}

function waiting(release: BoardRelease, status: BoardStatus): string {
  if (status.state !== 'waiting' || !status.error) return '';
  // A step's failure carries its fix (the release's activities write it with withFix).
  const { message: error, fix } = splitFix(status.error);
  const { project, version } = release;
  return `<div class="waiting">
    <p class="error" data-testid="error">${html(status.currentStage ?? 'a stage')} failed: ${html(error)}</p>
    ${fix ? `<p class="fix" data-testid="fix">fix: ${html(fix)}</p>` : ''}
    <p class="then">then <code>relforge resume ${html(project)} ${html(version)}</code>, or <code>relforge abort ${html(project)} ${html(version)} --reason "…"</code></p>
  </div>`;
}

function approval(status: BoardStatus, signedIn: boolean | undefined): string {
  if (status.state !== 'awaiting-approval' || !status.approval) return '';
  const { digest, required, approvals } = status.approval;
  const who = approvals.map((entry) => html(entry.login)).join(', ');
  const signIn =
    signedIn === false
      ? ` <a class="sign-in" href="/auth/github/login?return=/">Sign in with GitHub</a> to approve.`
      : '';
  return `<div class="approval" data-testid="approval">
    <p>awaiting approval of <code data-testid="approval-digest">${html(digest)}</code>: ${approvals.length} of ${html(required)}${who ? ` (${who})` : ''}</p>
    <button type="button" data-testid="approve" data-digest="${html(digest)}">Approve</button>${signIn}
    <p class="approval-answer" data-testid="approval-answer"></p>
  </div>`;
}

export interface CardContext {
  uiUrl: string | null;
  namespace: string;
  now: number;
  signedIn?: boolean;
}

function uiLink(workflow: { workflowId: string; runId: string }, context: CardContext): string {
  return context.uiUrl
    ? `<a class="ui" href="${html(`${context.uiUrl}/namespaces/${encodeURIComponent(context.namespace)}/workflows/${encodeURIComponent(workflow.workflowId)}/${encodeURIComponent(workflow.runId)}`)}">Temporal</a>`
    : '';
}

export function card(release: BoardRelease, context: CardContext): string {
  const status = release.status;
  const state = status?.state ?? release.state;
  const ui = uiLink(release, context);
  const commit = status?.sourceCommit ? `<code class="commit">${html(status.sourceCommit.slice(0, 12))}</code>` : '';
  const body = status
    ? `${waiting(release, status)}${approval(status, context.signedIn)}${builds(status)}${timeline(status, context.now)}${artifacts(status)}`
    : `<p class="no-events">${html(release.stage ? `at ${release.stage}` : '')} no events for this release</p>`;
  return `<article class="release state-${html(state)}" id="${html(release.workflowId)}" data-testid="release" data-release="${html(`${release.project}/${release.version}`)}" data-state="${html(state)}" data-sequence="${release.sequence}">
    <header>
      <h3>${html(release.project)} <span class="version">${html(release.version)}</span></h3>
      <span class="state" data-testid="state">${html(state)}</span>
      ${status?.currentStage && state !== 'succeeded' ? `<span class="current">${html(status.currentStage)}</span>` : ''}
      ${commit}
      <span class="started">${html(seconds(release.startedAt, release.closedAt ?? (state === 'succeeded' || state === 'failed' || state === 'cancelled' ? status?.stages.at(-1)?.finishedAt : undefined), context.now))}</span>
      ${ui}
    </header>
    ${body}
  </article>`;
}

/** A time as people compare them on a wall: `2026-12-01 13:08 UTC`. */
const minute = (at: string | undefined) => (at ? `${at.slice(0, 16).replace('T', ' ')} UTC` : '');

function trainSteps(status: TrainStatus): string {
  const rows = status.steps.map((step) => {
    const dates = `${minute(step.startedAt)}${step.finishedAt ? ` → ${minute(step.finishedAt)}` : ''}`;
    return `<li class="train-step outcome-${html(step.outcome)}" data-testid="train-step" data-version="${html(step.version)}" data-outcome="${html(step.outcome)}">
      <a class="step-release" href="#${html(step.workflowId)}">${html(step.version)}</a>
      <span class="step-channel">${html(step.channel)}</span>
      <span class="step-outcome">${html(step.outcome)}</span>
      <span class="step-dates">${html(dates)}</span>
      ${step.error ? `<p class="step-error">${html(step.error)}</p>` : ''}
    </li>`;
  });
  return rows.length > 0 ? `<ol class="train-steps">${rows.join('')}</ol>` : '<p class="no-steps">no step yet</p>';
}

/** What `promote final` waits for, or the command that starts it now. */
function finalWaits(train: BoardTrain, status: TrainStatus, now: number): string {
  if (status.state === 'finished')
    return `<p class="final" data-testid="final">finished: ${html(status.version)} released</p>`;
  const waits = [...status.finalWaitsFor];
  if (status.soakUntil && Date.parse(status.soakUntil) > now)
    waits.push(`the soak time, until ${minute(status.soakUntil)}`);
  if (waits.length > 0)
    return `<p class="final" data-testid="final">the final waits for ${waits.map((wait) => html(wait)).join('; ')}</p>`;
  return `<p class="final" data-testid="final">the final may start: <code>relforge train promote ${html(train.project)} ${html(train.version)} final</code></p>`;
}

export function trainCard(train: BoardTrain, context: CardContext): string {
  const status = train.status;
  // Stopped from outside (terminated, or refused at its start), a train logs no event saying so: Temporal says it.
  const stopped = train.execution !== 'RUNNING' && train.execution !== 'COMPLETED';
  const state = stopped || !status ? train.execution.toLowerCase() : status.state;
  const body = status
    ? `${trainSteps(status)}${finalWaits(train, status, context.now)}`
    : '<p class="no-events">the train has not told its status yet</p>';
  return `<article class="train state-${html(state)}" id="${html(train.workflowId)}" data-testid="train" data-train="${html(`${train.project}/${train.version}`)}" data-state="${html(state)}" data-channel="${html(status?.channel ?? '')}" data-sequence="${train.sequence}">
    <header>
      <h3>${html(train.project)} <span class="version">${html(train.version)}</span></h3>
      <span class="state" data-testid="state">${html(state)}</span>
      ${status ? `<span class="channel" data-testid="channel">on ${html(status.channel)}</span>` : ''}
      ${uiLink(train, context)}
    </header>
    ${body}
  </article>`;
}
