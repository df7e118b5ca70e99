/**
 * How a release's failure is reported: the one line a failure is shown as (in the status, the rollback report and the
 * train's steps), and the failure a release run ends with.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { ReleaseFailureType, type ReleaseStatus } from '../shared.js';

export function messageOf(error: unknown): string {
  // An activity's failure arrives wrapped: the cause carries the activity's own message.
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The failure a release ends with: its final status rides along as the details, readable without a worker. */
export function releaseFailure(status: ReleaseStatus, error: unknown): ApplicationFailure {
  // A run refused because the version is out already keeps that type, so clients can show the release that completed.
  const cause = (error as { cause?: unknown }).cause;
  const alreadyReleased = cause instanceof ApplicationFailure && cause.type === ReleaseFailureType.AlreadyReleased;
  return ApplicationFailure.create({
    message: `release ${status.project} ${status.version} failed: ${status.error}`,
    type: alreadyReleased ? ReleaseFailureType.AlreadyReleased : ReleaseFailureType.ReleaseFailed,
    nonRetryable: true,
    details: [status],
  });
}
