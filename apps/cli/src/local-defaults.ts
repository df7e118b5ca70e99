/**
 * What the CLI falls back on when neither a flag nor a variable names a server: the local stack's addresses and its
 * demo person, while `relforge stack up` runs one. Commands ask this seam, never the stack: main.ts plugs the stack in
 * (dev/stack-defaults.ts), so no command module loads the dev machinery, and a production install that never ran
 * `stack up` simply has no defaults.
 */
export interface LocalDefaults {
  temporal?: { address: string; namespace: string; uiUrl?: string };
  natsUrl?: string;
  gatewayUrl?: string;
  /** The stack's demo person, for requests to the stack's own gateway; read only when one is about to be sent. */
  demoCaller(): { login: string; token: string } | undefined;
}

let read: () => LocalDefaults | undefined = () => undefined;

/** Called once, by main.ts, before any command runs. */
export function useLocalDefaults(source: () => LocalDefaults | undefined): void {
  read = source;
}

export function localDefaults(): LocalDefaults | undefined {
  return read();
}
