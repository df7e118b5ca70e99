/**
 * The train as the worker serves it, beside a stand-in release that ends at once: the train's own logic, fast. A
 * project named `held-…` holds its rc releases until an operator aborts them (failed, as a real abort fails a release)
 * or sends `go`.
 */
import { ApplicationFailure, condition, defineSignal, setHandler } from '@temporalio/workflow';
import type { StartedBy } from '../../src/approval.js';
import { abortSignal, ReleaseFailureType } from '../../src/shared.js';

export { train } from '../../src/workflows/train.js';

export const goSignal = defineSignal('go');

export async function release(input: {
  project: string;
  version: string;
  startedBy?: StartedBy;
}): Promise<{ version: string; startedBy?: StartedBy }> {
  if (input.project.startsWith('held-') && input.version.includes('-rc.')) {
    let decided: 'go' | 'abort' | undefined;
    setHandler(goSignal, () => void (decided = 'go'));
    setHandler(abortSignal, () => void (decided = 'abort'));
    await condition(() => decided !== undefined);
    if (decided === 'abort')
      throw ApplicationFailure.nonRetryable('aborted by an operator', ReleaseFailureType.ReleaseAborted);
  }
  return { version: input.version, ...(input.startedBy ? { startedBy: input.startedBy } : {}) };
}
