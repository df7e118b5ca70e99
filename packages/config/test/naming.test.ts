import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '@relforge/errors';
import {
  artifactFileName,
  buildTargets,
  loadProjectConfig,
  parseVersion,
  releaseName,
  releaseTag,
  renderTemplate,
  versionOfTag,
} from '../src/index.js';

const full = await loadProjectConfig(join(import.meta.dirname, 'corpus', 'good-full.yaml'));
const version = parseVersion('8.1.0-rc1');

describe('templates', () => {
  it('replace every placeholder that has a value', () => {
    expect(renderTemplate('{majorMinor}/{distro}/Dockerfile', { majorMinor: '8.1', distro: 'noble' })).toBe(
      '8.1/noble/Dockerfile',
    );
  });

  it('refuse an unknown placeholder, naming it and the allowed ones', () => {
    expect(() => renderTemplate('v{vesion}', { version: '8.1.0', project: 'valkey' })).toThrow(
      new InputError(
        'template "v{vesion}": unknown placeholder {vesion} (did you mean {version}?); allowed: {version}, {project}',
        {
          fix: 'write the template with only {version}, {project}',
        },
      ),
    );
  });

  it('refuse a known placeholder that has no value here rather than leave it in', () => {
    expect(() => renderTemplate('{version}-{distro}', { version: '8.1.0' })).toThrow(
      'template "{version}-{distro}": {distro} cannot be used here; allowed: {version}',
    );
  });
});

describe('release names', () => {
  it('tag the release from the tag template', () => {
    expect(
      releaseTag(
        { ...full, publish: { ...full.publish, release: { ...full.publish.release, tag: 'v{version}' } } },
        version,
      ),
    ).toBe('v8.1.0-rc1');
    expect(releaseTag(full, version)).toBe('8.1.0-rc1');
  });

  it('read the version back from a release tag, and nothing from any other tag', () => {
    const withTag = (tag: string) => ({
      ...full,
      publish: { ...full.publish, release: { ...full.publish.release, tag } },
    });
    expect(versionOfTag(withTag('v{version}'), 'v1.5.0')?.text).toBe('1.5.0');
    expect(versionOfTag(withTag('v{version}'), 'v8.1.0-rc1')?.text).toBe('8.1.0-rc1');
    expect(versionOfTag(full, '8.1.0')?.text).toBe('8.1.0');
    expect(versionOfTag(withTag('{project}-{version}'), 'valkey-8.1.0')?.text).toBe('8.1.0');
    expect(versionOfTag(withTag('{majorMinor}/v{version}'), '8.1/v8.1.2')?.text).toBe('8.1.2');
    for (const other of ['latest', 'v8.1', 'valkey-8.1', 'valkey-8.1.0-', 'redis-8.1.0', 'valkey-v8.1.0'])
      expect(versionOfTag(withTag('{project}-{version}'), other)).toBeUndefined();
    // {majorMinor} must agree with the version it stands beside.
    expect(versionOfTag(withTag('{majorMinor}/v{version}'), '8.0/v8.1.2')).toBeUndefined();
    expect(versionOfTag(withTag('v{version}'), 'v1.5')).toBeUndefined();
    expect(versionOfTag(withTag('v{version}'), 'latest')).toBeUndefined();
    expect(versionOfTag(withTag('v{version}'), '1.5.0')).toBeUndefined();
  });

  it('title the release from the name template', () => {
    expect(releaseName(full, version)).toBe('valkey 8.1.0-rc1');
  });

  it('list every build target in matrix order', () => {
    expect(buildTargets(full)).toEqual([
      { distro: 'jammy', arch: 'x86_64' },
      { distro: 'jammy', arch: 'arm64' },
      { distro: 'noble', arch: 'x86_64' },
      { distro: 'noble', arch: 'arm64' },
    ]);
  });

  it('name a target artifact by distro and arch, and the source tarball by neither', () => {
    expect(artifactFileName('valkey', version.text, { distro: 'noble', arch: 'arm64' })).toBe(
      'valkey-8.1.0-rc1-noble-arm64.tar.gz',
    );
    expect(artifactFileName('valkey', version.text)).toBe('valkey-8.1.0-rc1.tar.gz');
  });

  it('name website pages with the dashed version', () => {
    expect(`v${version.dashed}.md`).toBe('v8-1-0-rc1.md');
  });
});
