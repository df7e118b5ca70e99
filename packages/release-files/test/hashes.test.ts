import { describe, expect, it } from 'vitest';
import { InputError } from '@relforge/errors';
import { HashesConflictError, HashesFormatError, mergeHashes, type HashEntry } from '../src/index.js';
import { fixture } from './fixtures.js';

const digest = (char: string) => char.repeat(64);
const entry = (file: string, sha256: string): HashEntry => ({
  file,
  sha256,
  url: `https://github.com/valkey-io/valkey/archive/refs/tags/${file.replace(/^valkey-/, '')}`,
});

const seed = fixture('hashes/README');
const v814 = entry('valkey-8.1.4.tar.gz', 'd33a0aa6d4fd3b9a5ab3d0d2da4ddbe3e9d2d3c3c9c7fe2d6a4a06ab1f0a0b73');
const v900 = entry('valkey-9.0.0.tar.gz', 'f0e4a0c1ab7f43e2b1e67f1e4c5b5c2b3f0d07d3b1b9e86d6f0ac27d1d8b0c41');
const v811 = entry('valkey-8.1.1.tar.gz', '3355fbd5458d853ab201d2c046ffca9f078000587ccbe9a6c585110f146ad2c5');

describe('merging into the hashes file', () => {
  it('appends new files after the last hash line, leaving every other byte as it was', () => {
    const merged = mergeHashes(seed, [v814, v900]);
    expect(merged.text).toBe(fixture('hashes/README.merged'));
    expect(merged.text.startsWith(seed)).toBe(true);
    expect(merged).toMatchObject({
      added: ['valkey-8.1.4.tar.gz', 'valkey-9.0.0.tar.gz'],
      unchanged: [],
      conflicts: [],
    });
  });

  it('is a no-op for a file already recorded with the same digest, even under another URL', () => {
    const merged = mergeHashes(seed, [{ ...v811, url: 'https://download.valkey.io/releases/valkey-8.1.1.tar.gz' }]);
    expect(merged).toEqual({ text: seed, added: [], unchanged: ['valkey-8.1.1.tar.gz'], conflicts: [] });
  });

  it('is a no-op when merged twice', () => {
    const once = mergeHashes(seed, [v814]).text;
    expect(mergeHashes(once, [v814])).toEqual({
      text: once,
      added: [],
      unchanged: ['valkey-8.1.4.tar.gz'],
      conflicts: [],
    });
  });

  it('refuses a second digest for an existing file name, leaving its line alone', () => {
    const merged = mergeHashes(seed, [{ ...v811, sha256: digest('a') }, v814]);
    expect(merged.conflicts).toEqual([
      {
        file: 'valkey-8.1.1.tar.gz',
        existing: ['3355fbd5458d853ab201d2c046ffca9f078000587ccbe9a6c585110f146ad2c5'],
        incoming: digest('a'),
      },
    ]);
    expect(merged.added).toEqual(['valkey-8.1.4.tar.gz']);
    expect(merged.text).not.toContain(digest('a'));
    expect(merged.text.match(/^hash valkey-8\.1\.1\.tar\.gz /gm)).toHaveLength(1);
  });

  it('reports a file the hashes file already records with two digests, whichever one this release computed', () => {
    const recordedTwice = [
      'f6022a27af9d3c43480c04fd750bc50b1853e3d080bd40d04e3f1e43f0fdc3eb',
      '55c12a25f67ef19b615c76b6cb0c92d12753d76eb8d38b31d30e299c3490cdf2',
    ];
    for (const incoming of [...recordedTwice, digest('b')]) {
      const merged = mergeHashes(seed, [entry('valkey-8.0.4.tar.gz', incoming)]);
      expect(merged.conflicts).toEqual([{ file: 'valkey-8.0.4.tar.gz', existing: recordedTwice, incoming }]);
      expect(merged.text).toBe(seed);
    }
  });

  it('leaves a split file alone when the release does not touch it', () => {
    expect(mergeHashes(seed, [v814]).conflicts).toEqual([]);
  });

  it('gives callers an error naming the file and the digests', () => {
    const { conflicts } = mergeHashes(seed, [
      { ...v811, sha256: digest('a') },
      entry('valkey-8.0.4.tar.gz', digest('b')),
    ]);
    const [changed, split] = conflicts.map(
      ({ file, existing, incoming }) => new HashesConflictError(file, existing, incoming),
    );
    expect(changed?.message).toBe(
      `valkey-8.1.1.tar.gz: the hashes file records sha256 3355fbd5458d853ab201d2c046ffca9f078000587ccbe9a6c585110f146ad2c5; this release computed ${digest('a')}`,
    );
    expect(split?.message).toBe(
      `valkey-8.0.4.tar.gz: the hashes file already records 2 different sha256 digests (f6022a27af9d3c43480c04fd750bc50b1853e3d080bd40d04e3f1e43f0fdc3eb, 55c12a25f67ef19b615c76b6cb0c92d12753d76eb8d38b31d30e299c3490cdf2); this release computed ${digest('b')}`,
    );
    expect(changed?.fix).toMatch(/new version/);
  });

  it('inserts after the last hash line, not at the end, and keeps CRLF line endings', () => {
    const text = '# header\r\nhash a.tar.gz sha256 ' + digest('1') + ' https://x.test/a.tar.gz\r\n\r\n# trailer\r\n';
    expect(mergeHashes(text, [entry('b.tar.gz', digest('2'))]).text).toBe(
      '# header\r\nhash a.tar.gz sha256 ' +
        digest('1') +
        ' https://x.test/a.tar.gz\r\n' +
        'hash b.tar.gz sha256 ' +
        digest('2') +
        ' https://github.com/valkey-io/valkey/archive/refs/tags/b.tar.gz\r\n' +
        '\r\n# trailer\r\n',
    );
  });

  it('keeps a file that ends without a newline ending without one', () => {
    const text = `hash a.tar.gz sha256 ${digest('1')} https://x.test/a.tar.gz`;
    expect(mergeHashes(text, [entry('b.tar.gz', digest('2'))]).text).toBe(
      `${text}\nhash b.tar.gz sha256 ${digest('2')} https://github.com/valkey-io/valkey/archive/refs/tags/b.tar.gz`,
    );
  });

  it('starts the list at the end of a file that has no hash lines yet', () => {
    expect(mergeHashes('# hashes', [entry('a.tar.gz', digest('1'))]).text).toBe(
      `# hashes\nhash a.tar.gz sha256 ${digest('1')} https://github.com/valkey-io/valkey/archive/refs/tags/a.tar.gz\n`,
    );
  });

  it('names a malformed hash line instead of guessing', () => {
    const text = `${seed}hash valkey-9.0.0.tar.gz sha256\n`;
    expect(() => mergeHashes(text, [v814])).toThrow(HashesFormatError);
    expect(() => mergeHashes(text, [v814])).toThrow(/hashes file line 21 is not "hash <file> <algo> <digest> <url>"/);
  });

  it('refuses one file given twice with different digests', () => {
    expect(() => mergeHashes(seed, [v814, { ...v814, sha256: digest('c') }])).toThrow(
      /valkey-8\.1\.4\.tar\.gz is given twice/,
    );
  });

  it('refuses entries that would break the line format', () => {
    const call = () => mergeHashes(seed, [{ ...v814, file: 'a b.tar.gz', url: 'https://x.test/a b' }]);
    expect(call).toThrow(InputError);
    expect(call).toThrow(/\[0\]\.file: expected a file name without whitespace or "\/"\n\[0\]\.url: /);
  });
});
