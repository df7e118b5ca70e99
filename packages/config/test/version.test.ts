import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compareVersions, parseVersion, ReleaseVersionText } from '../src/index.js';

describe('release versions', () => {
  it('sort prereleases before their release, numerically rather than by text', () => {
    const versions = ['8.1.0', '8.0.10', '8.1.0-rc1', '8.0.9', '8.1.0-beta.2', '8.1.0-beta.10', '8.1.0-alpha'].map(
      parseVersion,
    );
    expect(versions.sort(compareVersions).map((version) => version.text)).toEqual([
      '8.0.9',
      '8.0.10',
      '8.1.0-alpha',
      '8.1.0-beta.2',
      '8.1.0-beta.10',
      '8.1.0-rc1',
      '8.1.0',
    ]);
  });

  it('compare equal only to the same version', () => {
    expect(compareVersions(parseVersion('1.2.3'), parseVersion('1.2.3'))).toBe(0);
    expect(compareVersions(parseVersion('1.2.3'), parseVersion('1.2.4'))).toBeLessThan(0);
  });

  it('are refused at their place in a larger schema, with the fix in the message', () => {
    const input = z.object({ version: ReleaseVersionText });
    const result = input.safeParse({ version: 'v8.1.0' });
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['version'],
        message: 'invalid version "v8.1.0": starts with "v"',
        params: { fix: 'drop the leading v: 8.1.0' },
      }),
    ]);
  });
});
