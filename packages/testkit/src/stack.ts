/** What the global setup hands every test: where the servers of this run listen. */

export interface TestStack {
  temporal: { address: string; namespace: string; uiUrl: string };
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** Scratch space of this run; removed at teardown. */
  scratchDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    relforgeStack: TestStack;
  }
}
