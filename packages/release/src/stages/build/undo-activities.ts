/**
 * The build stage's undo step: the release's folder in the private staging prefix removed. It lists before it
 * deletes, so a step run again after its worker died finds what its first attempt removed already gone.
 */
import type { WithdrawStagedInput, Withdrawn } from '../../rollback-inputs.js';
import { withHeartbeat } from '../../activities/heartbeat.js';
import { storeFor, type ReleaseServices } from '../../activities/services.js';
import { goneAlready, nothing } from '../../activities/withdrawn.js';

/** The release's folder in the staging prefix: private, read only by the release's own steps, so it always goes. */
export async function withdrawStagedFiles(services: ReleaseServices, input: WithdrawStagedInput): Promise<Withdrawn> {
  return withHeartbeat(async (heartbeat) => {
    const done = nothing();
    const { stagingPrefix } = input.s3;
    if (stagingPrefix === undefined) return done;
    const store = storeFor(input.s3, services);
    const folder = `${stagingPrefix}${input.project}/${input.version}/${input.commit}/`;
    const where = (key: string) => `s3://${store.bucket}/${key}`;
    const found = new Set<string>();
    for await (const object of store.list(folder)) {
      await store.delete(object.key);
      heartbeat.progress({ removed: object.key });
      found.add(object.key);
      done.removed.push({ what: where(object.key) });
    }
    for (const file of input.files) {
      if (!found.has(folder + file)) done.removed.push(goneAlready(where(folder + file)));
    }
    return done;
  });
}
