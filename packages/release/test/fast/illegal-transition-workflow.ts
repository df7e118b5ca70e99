/** Workflow code with a bug the state machine must catch: a release declared succeeded while it is still preparing. */
import type { ReleaseInput } from '../../src/shared.js';
import { ReleaseRun } from '../../src/workflows/release-run.js';

export async function succeedsWhilePreparing(input: ReleaseInput): Promise<void> {
  const run = new ReleaseRun(input);
  await run.succeed();
}
