import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { parseVersion } from '@relforge/config';
import { Git } from '@relforge/git';
import { ReleaseFailureType } from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import { afterAll, describe, expect, it } from 'vitest';

describe('the checksum stage of a release recorded before staging, on a worker without the artifacts', () => {
  const workRoot = mkdtempSync(join(tmpdir(), 'relforge-elsewhere-'));
  afterAll(() => rmSync(workRoot, { recursive: true, force: true }));

  it('fails for good, naming the files and the shared work folder they need', async () => {
    const activities = createReleaseActivities({ projects: new Map(), workRoot, env: {}, git: new Git() });
    const workDir = join(workRoot, 'hello', '1.0.0');
    const file = 'hello-1.0.0-bookworm-arm64.tar.gz';
    const refused = await new MockActivityEnvironment()
      .run(activities.checksumArtifacts, {
        project: 'hello',
        version: parseVersion('1.0.0'),
        workDir,
        artifacts: [
          {
            file,
            path: join(workDir, 'artifacts', file),
            size: 10,
            kind: 'binary' as const,
            target: { distro: 'bookworm', arch: 'arm64' },
          },
        ],
      })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    const failure = refused as ApplicationFailure;
    expect(failure.type).toBe(ReleaseFailureType.MissingArtifact);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      `${file} was built but is not in ${join(workDir, 'artifacts')} on this worker — fix: give the builders and the workers of the main queue one work folder (RELFORGE_WORK_DIR on storage they all mount), then resume the release`,
    );
  });
});
