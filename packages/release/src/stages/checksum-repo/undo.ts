/**
 * The checksum repo stage's undo: none. A commit pushed to the checksum repository's branch is public, and history
 * there is never rewritten, so the rollback keeps it and names it.
 */
import type { Compensation, StageRun } from '../run.js';

export function undoChecksumRepo(run: StageRun): Compensation[] {
  const { plan } = run;
  const commit = run.placed.checksumCommit;
  const { checksumRepo } = plan.config;
  if (!commit || !checksumRepo) return [];
  const kept = {
    what: `commit ${commit.slice(0, 12)} on ${checksumRepo.branch} of ${checksumRepo.repository}, with the hash lines of ${plan.project} ${plan.version.text}`,
    why: `pushed to ${checksumRepo.branch}, the branch people and mirrors read the hashes from; revert it with a new commit if it must go`,
  };
  return [
    { summary: `keep the checksum commit ${commit.slice(0, 12)}`, run: async () => ({ removed: [], kept: [kept] }) },
  ];
}
