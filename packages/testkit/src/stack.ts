/** What the global setup hands every test: where the servers of this run listen. */

export interface TestStack {
  temporal: { address: string; namespace: string; uiUrl: string };
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** The GitHub stand-in, a process of its own; `token` is the one it accepts. */
  github: { url: string; token: string };
  /** Scratch space of this run; removed at teardown. */
  scratchDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    relforgeStack: TestStack;
  }
}
