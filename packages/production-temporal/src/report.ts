/** How this package's commands end: one line naming the cause, one with the fix, and the CLI's exit codes. */
import { InputError, isRelforgeError } from '@relforge/errors';

export function exitWith(command: string, error: unknown): never {
  if (isRelforgeError(error)) {
    console.error(`${command}: ${error.message}`);
    console.error(`  fix: ${error.fix}`);
    // The CLI's codes (docs/operating.md, "Exit codes of `relforge`"): 2 for input a person must change, 3 for the environment.
    process.exit(error instanceof InputError ? 2 : 3);
  }
  console.error(`${command}: unexpected error — this is a bug in Relforge:`);
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(70);
}
