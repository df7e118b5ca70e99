/**
 * A forge release a person published for the release's tag (Valkey's flow) is used instead of a draft only when a
 * trigger named it: the publish step adds the assets to that release, and still refuses one nobody pointed at.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ApplicationFailure } from '@temporalio/common';
import { loadProjectConfig, parseVersion } from '@relforge/config';
import { ReleaseFailureType } from '@relforge/release';
import { createReleaseActivities } from '@relforge/release/activities';
import type { DraftInput } from '@relforge/release/step-inputs';
import { createExampleProject, testStack } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { quietLogger, servicesFor } from './harness.js';

/** What a person does on GitHub: publish a release, with a new tag at the default branch. */
async function publishByHand(repo: string, tag: string): Promise<number> {
  const response = await fetch(`${testStack().github.url}/repos/${repo}/releases`, {
    method: 'POST',
    headers: { authorization: `Bearer ${testStack().github.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ tag_name: tag, name: `hand-made ${tag}`, body: 'release notes by a person', draft: false }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: number }).id;
}

describe('publishing into a release a person published', () => {
  it('adds the assets only when the trigger named that release, and refuses it otherwise', async () => {
    const example = await createExampleProject();
    const config = await loadProjectConfig(example.configPath, example.env);
    const version = parseVersion('2.0.0');
    const workDir = join(example.workRoot, example.project, version.text);
    mkdirSync(join(workDir, 'artifacts'), { recursive: true });
    const file = `${example.project}-2.0.0.tar.gz`;
    const bytes = Buffer.from('the source tarball');
    writeFileSync(join(workDir, 'artifacts', file), bytes);
    const releaseId = await publishByHand(example.repos.source, 'v2.0.0');
    const draft: DraftInput = {
      project: example.project,
      version,
      workDir,
      forge: config.forge,
      repository: config.publish.release.repository,
      tag: 'v2.0.0',
      releaseName: `${example.project} 2.0.0`,
      commit: 'main',
      publicBaseUrl: config.publish.s3.publicBaseUrl,
      artifacts: [
        { file, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), kind: 'source' },
      ],
    };
    const { stageForgeRelease } = createReleaseActivities(servicesFor(example));
    const environment = new MockActivityEnvironment(undefined, { logger: quietLogger });
    const refusal = (input: DraftInput) =>
      environment.run(stageForgeRelease, input).then(
        () => undefined,
        (error: unknown) => error as ApplicationFailure,
      );

    for (const refused of [draft, { ...draft, adopt: { releaseId: releaseId + 1000 } }]) {
      const failure = await refusal(refused);
      expect(failure?.type).toBe(ReleaseFailureType.DigestConflict);
      expect(failure?.message).toContain(
        `release v2.0.0 of ${example.repos.source} is already published without ${file}`,
      );
    }
    const adopted = await environment.run(stageForgeRelease, { ...draft, adopt: { releaseId } });
    expect(adopted).toMatchObject({ releaseId, uploaded: 1, unchanged: 0 });

    const [published] = (await example.admin.state()).repos[example.repos.source]?.releases ?? [];
    expect(published).toMatchObject({ id: releaseId, draft: false, name: 'hand-made v2.0.0' });
    expect(published?.assets.map((asset) => [asset.name, asset.uploads])).toEqual([[file, 1]]);
  });
});
