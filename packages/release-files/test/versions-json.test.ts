import { describe, expect, it } from 'vitest';
import { InputError } from '@relforge/errors';
import { VersionsJsonError, mergeVersionsJson, type ContainerVersion } from '../src/index.js';
import { fixture } from './fixtures.js';

const seed = fixture('container/versions.json');
const release = (version: string, sha256: string): ContainerVersion => ({
  majorMinor: version.split('.').slice(0, 2).join('.'),
  version,
  url: `https://github.com/valkey-io/valkey/archive/refs/tags/${version}.tar.gz`,
  sha256,
});
const digest = (char: string) => char.repeat(64);

describe('merging into versions.json', () => {
  it('moves a line to a newer patch release, keeping its other keys, key order and indent', () => {
    const merged = mergeVersionsJson(seed, release('8.1.2', digest('a')));
    expect(merged).toEqual({ text: fixture('container/versions.8.1.2.json'), changed: true });
  });

  it('adds a new major.minor line at the end', () => {
    const merged = mergeVersionsJson(seed, release('9.0.0-rc1', digest('b')));
    expect(merged).toEqual({ text: fixture('container/versions.9.0.0-rc1.json'), changed: true });
  });

  it('is a no-op for the release it already names', () => {
    expect(
      mergeVersionsJson(seed, release('8.1.1', '3355fbd5458d853ab201d2c046ffca9f078000587ccbe9a6c585110f146ad2c5')),
    ).toEqual({
      text: seed,
      changed: false,
    });
  });

  it('updates the URL of the release it already names when the digest agrees', () => {
    const moved = {
      ...release('8.1.1', '3355fbd5458d853ab201d2c046ffca9f078000587ccbe9a6c585110f146ad2c5'),
      url: 'https://download.valkey.io/releases/valkey-8.1.1.tar.gz',
    };
    const merged = mergeVersionsJson(seed, moved);
    expect(merged.changed).toBe(true);
    expect(merged.text).toBe(
      seed.replace('https://github.com/valkey-io/valkey/archive/refs/tags/8.1.1.tar.gz', moved.url),
    );
  });

  it('never moves a line back to an older release', () => {
    expect(mergeVersionsJson(seed, release('8.1.0', digest('c')))).toEqual({ text: seed, changed: false });
  });

  it('does not let a release candidate replace its own final release', () => {
    expect(mergeVersionsJson(seed, release('8.1.1-rc1', digest('c')))).toEqual({ text: seed, changed: false });
  });

  it('lets the final release replace its release candidate, and a later candidate an earlier one', () => {
    const rc1 = mergeVersionsJson(seed, release('9.0.0-rc1', digest('b'))).text;
    const rc2 = mergeVersionsJson(rc1, release('9.0.0-rc2', digest('d')));
    expect(rc2.changed).toBe(true);
    const final = mergeVersionsJson(rc2.text, release('9.0.0', digest('e')));
    expect(JSON.parse(final.text)['9.0']).toMatchObject({ version: '9.0.0', sha256: digest('e') });
    expect(mergeVersionsJson(final.text, release('9.0.0-rc3', digest('f')))).toEqual({
      text: final.text,
      changed: false,
    });
  });

  it('refuses a second digest for the version it already names', () => {
    const call = () => mergeVersionsJson(seed, release('8.1.1', digest('a')));
    expect(call).toThrow(VersionsJsonError);
    expect(call).toThrow(
      `versions.json "8.1" already names 8.1.1 with sha256 3355fbd5458d853ab201d2c046ffca9f078000587ccbe9a6c585110f146ad2c5; this release computed ${digest('a')}`,
    );
  });

  it("keeps the file's own indent", () => {
    const fourSpaces = JSON.stringify(JSON.parse(seed), null, 4) + '\n';
    const merged = mergeVersionsJson(fourSpaces, release('8.1.2', digest('a'))).text;
    expect(merged).toBe(JSON.stringify(JSON.parse(fixture('container/versions.8.1.2.json')), null, 4) + '\n');
  });

  it('says what is wrong with a file it cannot read', () => {
    expect(() => mergeVersionsJson('{"8.1": ', release('8.1.2', digest('a')))).toThrow(
      /versions\.json is not valid JSON/,
    );
    expect(() => mergeVersionsJson('[]', release('8.1.2', digest('a')))).toThrow(/not a JSON object/);
    expect(() => mergeVersionsJson('{"8.1": {"version": "latest"}}', release('8.1.2', digest('a')))).toThrow(
      'versions.json "8.1" has no semantic "version" to compare 8.1.2 with',
    );
  });

  it('refuses a version whose major.minor is not the line it is filed under', () => {
    const call = () => mergeVersionsJson(seed, { ...release('8.1.2', digest('a')), majorMinor: '8.0' });
    expect(call).toThrow(InputError);
    expect(call).toThrow(/majorMinor: does not match the version's major\.minor/);
  });

  it('refuses a version that is not strict semver', () => {
    expect(() => mergeVersionsJson(seed, { ...release('8.1.2', digest('a')), version: 'v8.1.2' })).toThrow(
      /version: expected a semantic version/,
    );
  });
});
