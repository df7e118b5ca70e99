/**
 * Errors a person can act on. Libraries throw these with a short message and a
 * `fix`; only the CLI decides how to print them and which exit code to use.
 */

export interface RelforgeErrorOptions {
  /** The next thing to do, written for the person reading the terminal. */
  fix: string;
  cause?: unknown;
}

export class RelforgeError extends Error {
  readonly fix: string;

  constructor(message: string, options: RelforgeErrorOptions) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.fix = options.fix;
  }
}

/** A local server (Temporal, S3, the GitHub stand-in) could not be built, started or reached. */
export class StackError extends RelforgeError {}

/** Input from a person or a file was refused; nothing was started. */
export class InputError extends RelforgeError {}

export function isRelforgeError(error: unknown): error is RelforgeError {
  return error instanceof RelforgeError;
}

/** How a failure carries its fix in one line of text: an activity's failure message, a release's `error`. */
const fixMarker = ' — fix: ';

export function withFix(message: string, fix: string): string {
  return `${message}${fixMarker}${fix}`;
}

/** The message and the fix of a line `withFix` wrote; the last marker splits, so a message may quote another. */
export function splitFix(text: string): { message: string; fix?: string } {
  const at = text.lastIndexOf(fixMarker);
  return at < 0 ? { message: text } : { message: text.slice(0, at), fix: text.slice(at + fixMarker.length) };
}
