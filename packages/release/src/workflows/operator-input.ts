/**
 * What operators and the gateway send a running release, checked: a `resume` update is refused, naming the field,
 * before anything is recorded in history; a `trigger` signal, which cannot be refused, is recorded once per delivery
 * or, when malformed, logged and dropped.
 */
import { ApplicationFailure, log } from '@temporalio/workflow';
import { ReleaseFailureType, type ReleaseStatus, type ReleaseTrigger } from '../shared.js';

/** Throws the refusal of a resume the release cannot take: it is not waiting, or the input is malformed. */
export function refuseBadResume(status: ReleaseStatus, resume: unknown): void {
  if (status.rollback) {
    throw ApplicationFailure.nonRetryable(
      `release ${status.project} ${status.version} was aborted and is being rolled back; it cannot be resumed`,
      ReleaseFailureType.NotWaiting,
    );
  }
  if (status.state !== 'waiting') {
    throw ApplicationFailure.nonRetryable(
      `release ${status.project} ${status.version} is not waiting for an operator (it is ${status.state})`,
      ReleaseFailureType.NotWaiting,
    );
  }
  if (resume === undefined || resume === null) return;
  const invalid = (message: string) => ApplicationFailure.nonRetryable(message, ReleaseFailureType.InvalidResume);
  if (typeof resume !== 'object' || Array.isArray(resume))
    throw invalid('resume: expected an object such as {"note": "fixed the token"}');
  for (const [field, value] of Object.entries(resume)) {
    if (field === 'reloadConfig' && typeof value !== 'boolean')
      throw invalid('resume.reloadConfig: expected true or false');
    else if (field === 'note' && typeof value !== 'string') throw invalid('resume.note: expected a string');
    else if (field !== 'reloadConfig' && field !== 'note')
      throw invalid(`resume.${field}: unknown field; expected reloadConfig (boolean) or note (string)`);
  }
}

/**
 * The `trigger` signal: each delivery id is recorded once, so GitHub's redelivery of the same delivery, or the
 * gateway sending it twice, changes nothing. A malformed one (the stock CLI, by hand) is logged and dropped: a signal
 * cannot be refused, and failing the release for it would be worse.
 */
export function recordTrigger(status: ReleaseStatus, trigger: ReleaseTrigger | undefined): void {
  const problem = triggerProblem(trigger);
  if (problem || !trigger) {
    log.warn(`ignored a trigger signal: ${problem ?? 'no input'}`);
    return;
  }
  const triggers = (status.triggers ??= []);
  if (triggers.some((seen) => seen.deliveryId === trigger.deliveryId)) return;
  triggers.push(trigger);
}

/**
 * The forge release a person published for this release's tag, when a `release` trigger said so: the publish stage
 * adds the assets to it. Only a trigger can name one, so a published release nobody pointed at stays a conflict.
 */
export function adoptedRelease(status: ReleaseStatus, tag: string): { releaseId: number } | undefined {
  const published = status.triggers?.filter((trigger) => trigger.release && trigger.tag === tag).at(-1);
  return published?.release ? { releaseId: published.release.id } : undefined;
}

/** What is wrong with a trigger signal's input, or undefined when it is well formed. */
function triggerProblem(trigger: unknown): string | undefined {
  if (typeof trigger !== 'object' || trigger === null) return 'expected an object';
  const { via, deliveryId, event, at, tag, release } = trigger as Record<string, unknown>;
  if (via !== 'github') return 'via: expected "github"';
  if (typeof deliveryId !== 'string' || deliveryId === '') return 'deliveryId: expected the X-GitHub-Delivery id';
  if (event !== 'push' && event !== 'release') return 'event: expected "push" or "release"';
  if (typeof at !== 'string' || typeof tag !== 'string') return 'at, tag: expected strings';
  if (release !== undefined && typeof (release as { id?: unknown }).id !== 'number')
    return 'release.id: expected a number';
  return undefined;
}
