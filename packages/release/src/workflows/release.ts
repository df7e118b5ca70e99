/**
 * The release workflow: prepare, then each stage of the plan (stages/pipeline.ts), one activity (or one per build
 * target) a step. It decides and records; every effect happens in an activity that checks before it creates, so a
 * retried step never does anything twice.
 */
import { patched, setHandler } from '@temporalio/workflow';
import { approveUpdate } from '../approval.js';
import {
  abortSignal,
  resumeUpdate,
  statusQuery,
  triggerSignal,
  type ReleaseInput,
  type ReleaseStatus,
} from '../shared.js';
import { attestPublicationInput } from '../stages/inputs.js';
import { stepOf } from '../stages/pipeline.js';
import { plural, step } from './options.js';
import { ReleaseRun } from './release-run.js';

export async function release(input: ReleaseInput): Promise<ReleaseStatus> {
  const run = new ReleaseRun(input);
  setHandler(statusQuery, () => run.status);
  setHandler(resumeUpdate, (resume) => run.resume(resume), { validator: (resume) => run.validateResume(resume) });
  setHandler(abortSignal, (abort) => run.abort(abort));
  setHandler(approveUpdate, (approval) => run.approve(approval), {
    validator: (approval) => run.approvalGate.validate(approval),
  });
  // A run that began on older code left any trigger signal unhandled; on replay it must stay so.
  if (patched('github-triggers')) setHandler(triggerSignal, (trigger) => run.recordTrigger(trigger));

  await run.prepare();
  const last = run.status.stages.at(-1);
  for (const stage of run.status.stages) {
    await run.runStage(stage, async () => {
      const outputs = await stepOf(stage.name)(run, stage);
      // Inside the last stage, so a failed attestation waits for an operator like any step.
      return stage === last ? { ...outputs, ...(await attest(run)) } : outputs;
    });
  }
  return run.succeed();
}

/** The signed record of where every file went, after the last stage; unsigned releases, and older runs, make none. */
async function attest(run: ReleaseRun): Promise<Record<string, string>> {
  const input = attestPublicationInput(run.plan, run.artifacts, run.placed);
  if (!input || !patched('publish-attestation')) return {};
  const { attestPublication } = step(`attest where ${plural(input.artifacts.length, 'file')} were published`);
  const attested = await attestPublication(input);
  run.attested(attested);
  return { attestation: attested.url };
}
