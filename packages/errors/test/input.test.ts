import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InputError, formatIssuePath, issueLines, parseInput } from '../src/index.js';

describe('issue paths', () => {
  it('join keys with dots and put indexes in brackets', () => {
    expect(formatIssuePath(['build', 'matrix', 2, 'arch', 0])).toBe('build.matrix[2].arch[0]');
    expect(formatIssuePath([0, 'distro'])).toBe('[0].distro');
    expect(formatIssuePath([])).toBe('');
  });
});

describe('issue lines', () => {
  const issues = [
    { path: ['tls', 'certFile'], message: 'required' },
    { path: [], message: 'expected an object' },
  ];

  it('name the value as a whole with the label given', () => {
    expect(issueLines(issues, '(body)')).toEqual(['tls.certFile: required', '(body): expected an object']);
  });

  it('give an issue about the value as a whole as its message alone when no label is given', () => {
    expect(issueLines(issues)).toEqual(['tls.certFile: required', 'expected an object']);
  });
});

describe('parsing input', () => {
  const Entry = z.strictObject({ file: z.string().min(1, 'expected a file name') });

  it('returns what the schema parsed', () => {
    expect(parseInput(z.array(Entry), [{ file: 'a.tar.gz' }], 'entries', 'pass entries')).toEqual([
      { file: 'a.tar.gz' },
    ]);
  });

  it('refuses bad input with one line per issue and the fix', () => {
    const refusal = (() => {
      try {
        parseInput(z.array(Entry), [{ file: 'a' }, { file: '' }], 'SHA256SUMS entries', 'pass the digests');
      } catch (error) {
        return error;
      }
    })();
    expect(refusal).toBeInstanceOf(InputError);
    expect(refusal).toMatchObject({
      message: 'SHA256SUMS entries refused:\n[1].file: expected a file name',
      fix: 'pass the digests',
    });
  });

  it('names a wrong value as a whole "(value)"', () => {
    expect(() => parseInput(z.array(Entry), 'a', 'entries', 'pass a list')).toThrow(/^entries refused:\n\(value\): /);
  });
});
