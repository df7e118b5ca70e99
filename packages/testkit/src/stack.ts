/** What the global setup hands every test: where the servers of this run listen. */

export interface TestStack {
  temporal: { address: string; namespace: string; uiUrl: string };
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /**
   * The GitHub stand-in, a process of its own. It accepts each of `tokens`, so tests can release under credentials of
   * their own (the forge paces writes per credential); `token` is the first, the one tests use unless told.
   */
  github: { url: string; token: string; tokens: string[] };
  /** Scratch space of this run; removed at teardown. */
  scratchDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    relforgeStack: TestStack;
  }
}
