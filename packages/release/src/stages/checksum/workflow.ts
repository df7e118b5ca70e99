/** The checksum stage: every built file's digests, signed with provenance when the config signs, in one step. */
import { plural, remoteStep, step } from '../../workflows/options.js';
import type { StageRun } from '../run.js';
import { checksumInputs } from './inputs.js';

export async function checksumStage(run: StageRun): Promise<Record<string, string>> {
  const { checksumArtifacts } = step(`checksum ${plural(run.built.length, 'file')}`, {
    ...remoteStep,
    startToCloseTimeout: '1 hour',
  });
  // Now, from workflow time: when the builds had all ended, as the provenance states.
  const builtAt = new Date().toISOString();
  run.digested(await checksumArtifacts(checksumInputs.checksumArtifacts(run.plan, run.built, builtAt)));
  return { files: String(run.artifacts.length) };
}
