/**
 * The one place errors become terminal output and exit codes. Libraries throw;
 * the CLI says what failed and the next command to run.
 */
import { isRelforgeError, InputError, RelforgeError } from '@relforge/errors';

/** Documented in docs/operating.md ("Exit codes of `relforge`"). */
export const exitCodes = {
  ok: 0,
  /** The workflow ran and failed. */
  failed: 1,
  /** Bad input: flags, config, version. Nothing was started. */
  usage: 2,
  /** A local server or the Temporal service could not be reached or started. */
  environment: 3,
  /** The release holds at a step that needs a person: `relforge resume` or `relforge abort`. */
  waiting: 4,
  /** A bug in Relforge. */
  internal: 70,
} as const;

/** The release's run ended without finishing and without a status of its own: terminated, timed out, cancelled. */
export class ReleaseLostError extends RelforgeError {}

export function reportError(error: unknown): number {
  if (isRelforgeError(error)) {
    console.error(`relforge: ${error.message}`);
    console.error(`  fix: ${error.fix}`);
    if (error instanceof ReleaseLostError) return exitCodes.failed;
    return error instanceof InputError ? exitCodes.usage : exitCodes.environment;
  }
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error('relforge: unexpected error — this is a bug in Relforge.');
  console.error('  Please file it with the command you ran, `node --version`, and this trace:');
  console.error(detail.replace(/^/gm, '    '));
  return exitCodes.internal;
}

/** How a followed release ends in an exit code: waiting for an operator is 4, a failure 1. */
export function exitCodeOf(run: { failed: boolean; waiting?: boolean }): number {
  if (run.waiting) return exitCodes.waiting;
  return run.failed ? exitCodes.failed : exitCodes.ok;
}
