/**
 * The corpus under test/corpus/: each bad-config-* file is loaded and must be refused with exactly the text in its
 * sibling `<file>.expected.txt` (message, then `fix: ...`); bad-versions.json and good-versions.json do the same for
 * versions. To add a case, add the file and its expected text; an expected file without a config is the
 * missing-file case.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isRelforgeError } from '@relforge/errors';
import { loadProjectConfig, parseVersion, ReleaseVersion } from '../src/index.js';

const corpus = join(import.meta.dirname, 'corpus');
const files = readdirSync(corpus);
const expectedSuffix = '.expected.txt';
const badConfigs = files
  .filter((name) => name.startsWith('bad-config-') && name.endsWith(expectedSuffix))
  .map((name) => name.slice(0, -expectedSuffix.length));

/** The error's text as the corpus writes it: paths relative to the corpus folder. */
async function refusal(load: () => Promise<unknown>): Promise<string> {
  try {
    await load();
  } catch (error) {
    if (!isRelforgeError(error)) throw error;
    return `${error.message}\nfix: ${error.fix}\n`.replaceAll(`${corpus}/`, '');
  }
  throw new Error('accepted');
}

const readTable = <T extends z.ZodType>(name: string, row: T) =>
  z.array(row).parse(JSON.parse(readFileSync(join(corpus, name), 'utf8')));

describe('the bad-input corpus', () => {
  it('has an expected text for every bad config, and at least 30 of them', () => {
    const withoutExpectation = files.filter(
      (name) =>
        name.startsWith('bad-config-') && !name.endsWith(expectedSuffix) && !files.includes(`${name}${expectedSuffix}`),
    );
    expect(withoutExpectation).toEqual([]);
    expect(badConfigs.length).toBeGreaterThanOrEqual(30);
    // Attacks on confinement: paths out of a repository, refs git misreads, credentials in addresses.
    expect(badConfigs.filter((name) => name.includes('-escape-')).length).toBeGreaterThanOrEqual(25);
  });

  it.each(badConfigs)('refuses %s with the expected text', async (name) => {
    const expected = readFileSync(join(corpus, `${name}${expectedSuffix}`), 'utf8');
    expect(await refusal(() => loadProjectConfig(join(corpus, name)))).toBe(expected);
  });

  it.each(badConfigs.filter((name) => name.includes('secret')))('does not repeat the secret in %s', async (name) => {
    expect(readFileSync(join(corpus, name), 'utf8')).toContain('SECRET');
    expect(await refusal(() => loadProjectConfig(join(corpus, name)))).not.toContain('SECRET');
  });

  const badVersions = readTable(
    'bad-versions.json',
    z.object({ input: z.string(), error: z.string(), fix: z.string() }),
  );
  it.each(badVersions)('refuses the version $input', ({ input, error, fix }) => {
    expect(() => parseVersion(input)).toThrow(expect.objectContaining({ name: 'InputError', message: error, fix }));
  });

  const goodVersions = readTable('good-versions.json', z.object({ input: z.string(), parsed: ReleaseVersion }));
  it.each(goodVersions)('parses the version $input', ({ input, parsed }) => {
    expect(parseVersion(input)).toEqual(parsed);
  });
});
