/**
 * How an activity's error reaches the workflow. What a retry can fix is
 * rethrown as is (Temporal retries it with backoff); what only a person can
 * fix becomes a non-retryable ApplicationFailure, typed with the error's name,
 * whose message ends with the fix, so it reads well in the Web UI, the status
 * query and the CLI.
 */
import { ApplicationFailure } from '@temporalio/common';
import { isRelforgeError, RelforgeError, withFix } from '@relforge/errors';
import { ForgeError } from '@relforge/forge';
import { GitError } from '@relforge/git';
import { ReleaseFailureType } from '../shared.js';

/** A failure that no retry fixes, with the name the workflow's retry policy lists as non-retryable. */
export class PermanentError extends RelforgeError {
  readonly type: ReleaseFailureType;

  constructor(type: ReleaseFailureType, message: string, options: { fix: string; cause?: unknown }) {
    super(message, options);
    this.type = type;
  }
}

function permanent(type: string, error: RelforgeError): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: withFix(error.message, error.fix),
    nonRetryable: true,
    details: [{ fix: error.fix }],
  });
}

export function toActivityFailure(error: unknown): unknown {
  if (error instanceof ApplicationFailure) return error;
  // The forge and git fail for passing reasons too (a 5xx, a dropped connection, a push that raced): those retry.
  if (error instanceof ForgeError) return error.needsOperator ? permanent(ReleaseFailureType.ForgeError, error) : error;
  if (error instanceof GitError) return error.isAuthFailure ? permanent(ReleaseFailureType.ForgeError, error) : error;
  // Every other Relforge error names something only a person can change: bad input, a conflict, a broken template.
  if (error instanceof PermanentError) return permanent(error.type, error);
  if (isRelforgeError(error)) return permanent(error.name, error);
  return error;
}

/** Wraps each activity so every error leaves it through `toActivityFailure`. */
export function reportingFailures<A extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: A): A {
  const wrapped: Record<string, unknown> = {};
  for (const [name, activity] of Object.entries(activities)) {
    // Named like the original: Temporal registers activities by function name, and the Web UI shows it.
    wrapped[name] = {
      async [name](...args: never[]) {
        try {
          return await activity(...args);
        } catch (error) {
          throw toActivityFailure(error);
        }
      },
    }[name];
  }
  return wrapped as A;
}
