import { readdirSync } from 'node:fs';
import { stages, type Stage } from '@relforge/config';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { ReleaseActivities } from '../../src/activities.js';
import { pipeline } from '../../src/stages/pipeline.js';

/*
 * The config's `Stage` enum stays in @relforge/config, which this package depends on: the config cannot import the
 * pipeline without a circle. So the two are held together here.
 */
describe('the pipeline', () => {
  const configStages = pipeline.map((entry) => entry.name).filter((name) => name !== 'approval');

  it("lists the config's stages, in the config's order", () => {
    expect(configStages).toEqual([...stages]);
    expectTypeOf<Exclude<(typeof pipeline)[number]['name'], 'approval'>>().toEqualTypeOf<Stage>();
  });

  it('has one folder per stage, and no folder for a stage it does not list', () => {
    const folders = readdirSync(new URL('../../src/stages/', import.meta.url), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.sort()).toEqual(pipeline.map((entry) => entry.name).sort());
  });

  it('keeps every activity type that recorded histories name', () => {
    expectTypeOf<keyof ReleaseActivities>().toEqualTypeOf<
      | 'prepareRelease'
      | 'buildTarget'
      | 'buildSourceTarball'
      | 'checksumArtifacts'
      | 'uploadArtifacts'
      | 'stageForgeRelease'
      | 'publishForgeRelease'
      | 'updateChecksumRepo'
      | 'updateContainerRepo'
      | 'updateWebsite'
      | 'attestPublication'
      | 'openEventLog'
      | 'publishEvents'
      | 'withdrawPullRequest'
      | 'withdrawForgeRelease'
      | 'withdrawUploads'
      | 'withdrawStagedFiles'
      | 'prepareTrain'
    >();
  });
});
