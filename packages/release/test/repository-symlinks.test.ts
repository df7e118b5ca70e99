import { mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { artifactFileName, loadProjectConfig, parseVersion } from '@relforge/config';
import { ReleaseFailureType } from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import type { ContainerRepoInput } from '@relforge/release/step-inputs';
import { createExampleProject, type ExampleProject } from '@relforge/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { quietLogger, servicesFor } from './harness.js';
import { pushCommit, remoteRef } from './inspect.js';

const version = parseVersion('1.2.3');
const marker = 'RELFORGE-OUTSIDE-THE-CHECKOUT';

/** A folder of the worker's, outside every checkout, holding a file no repository may get. */
function outsideFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relforge-outside-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'secret.txt'), `${marker}\n`);
  return dir;
}

/** The container stage's input for the example, as the workflow builds it from the plan, with made-up digests. */
async function containerStep(example: ExampleProject): Promise<ContainerRepoInput> {
  const config = await loadProjectConfig(example.configPath, example.env);
  const digest = (target?: { distro: string; arch: string }) => ({
    file: artifactFileName(example.project, version.text, target),
    size: 1,
    sha256: 'a'.repeat(64),
    kind: target ? ('binary' as const) : ('source' as const),
    ...(target ? { target } : {}),
  });
  return {
    project: example.project,
    version,
    workDir: join(example.workRoot, example.project, version.text),
    forge: config.forge,
    settings: config.containerRepo,
    publicBaseUrl: config.publish.s3.publicBaseUrl,
    artifacts: [digest(), digest({ distro: 'bookworm', arch: 'x86_64' }), digest({ distro: 'trixie', arch: 'x86_64' })],
    commit: 'c'.repeat(40),
    sourceTarball: true,
  };
}

async function refusedContainerStage(example: ExampleProject): Promise<ApplicationFailure> {
  const activities = createReleaseActivities(servicesFor(example));
  const failure = await new MockActivityEnvironment({}, { logger: quietLogger })
    .run(activities.updateContainerRepo, await containerStep(example))
    .then(
      () => undefined,
      (error: unknown) => error,
    );
  expect(failure).toBeInstanceOf(ApplicationFailure);
  return failure as ApplicationFailure;
}

/** Nothing of the stage reached the forge: no branch pushed, no pull request, main where the maintainer left it. */
async function expectNothingPushed(example: ExampleProject, main: string) {
  expect(await remoteRef(example.repos.container, `update-${version.text}`)).toBeUndefined();
  expect((await example.admin.state()).repos[example.repos.container]?.pulls ?? []).toEqual([]);
  expect(await remoteRef(example.repos.container, 'main')).toBe(main);
}

describe('a container repository holding a symlink out of its checkout', () => {
  it('is refused for good before its template is read: the error names the file and the fix, and nothing is pushed', async () => {
    const example = await createExampleProject({ stages: ['build', 'checksum', 'publish', 'container-repo'] });
    const outside = outsideFolder();
    const main = await pushCommit(example.repos.container, 'main', 'Template from elsewhere', (dir) => {
      unlinkSync(join(dir, 'Dockerfile.template'));
      symlinkSync(join(outside, 'secret.txt'), join(dir, 'Dockerfile.template'));
    });

    const failure = await refusedContainerStage(example);
    expect(failure.type).toBe(ReleaseFailureType.InputError);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      `Dockerfile.template (containerRepo.templates[0].template) in ${example.repos.container} on main leads out of the repository through the symlink Dockerfile.template; Relforge did not read it — fix: replace the symlink Dockerfile.template in ${example.repos.container} with the file itself (or a link inside the repository), or point containerRepo.templates[0].template at another path, then resume the release`,
    );
    expect(JSON.stringify(failure)).not.toContain(marker);
    await expectNothingPushed(example, main);
  });

  it('is refused before a Dockerfile is written through a folder symlink on its output path', async () => {
    const example = await createExampleProject({ stages: ['build', 'checksum', 'publish', 'container-repo'] });
    const outside = outsideFolder();
    const main = await pushCommit(example.repos.container, 'main', 'Release line 1.2 kept elsewhere', (dir) => {
      symlinkSync(outside, join(dir, version.majorMinor));
    });

    const failure = await refusedContainerStage(example);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(
      `1.2/bookworm/Dockerfile (containerRepo.templates[0].output) in ${example.repos.container} on main leads out of the repository through the symlink 1.2; Relforge did not write it`,
    );
    expect(readdirSync(outside)).toEqual(['secret.txt']);
    await expectNothingPushed(example, main);
  });
});
