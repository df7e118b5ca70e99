import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { anchorsOf, brokenLinks, slugOf } from '../src/links.js';

const root = join(import.meta.dirname, '..', '..', '..');

/** README.md, every page of docs/ and the READMEs of infra/: what a reader of the repository follows links in. */
function documentation(): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md'));
  return ['README.md', ...docs.map((name) => `docs/${name}`), 'infra/README.md', 'infra/production/README.md'];
}

describe('the documentation', () => {
  it('has no relative link or anchor that does not resolve', () => {
    expect(brokenLinks(root, documentation())).toEqual([]);
  });

  it('keeps README.md to a short page: at most 200 lines', () => {
    const readme = join(root, 'README.md');
    expect(readFileLines(readme)).toBeLessThanOrEqual(200);
  });
});

describe('the link check', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'relforge-links-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('makes anchors as GitHub does', () => {
    expect(slugOf('Exit codes of `relforge`')).toBe('exit-codes-of-relforge');
    expect(slugOf('When a step fails: retry, wait for an operator, resume')).toBe(
      'when-a-step-fails-retry-wait-for-an-operator-resume',
    );
    expect([...anchorsOf('# Setup\n\n```sh\n# not a heading\n```\n## Setup\n')]).toEqual(['setup', 'setup-1']);
  });

  it('reports a missing file, a missing anchor and an anchor into a file that has none, and skips code', () => {
    writeFileSync(join(scratch, 'other.md'), '# Other page\n\n## A section\n');
    writeFileSync(join(scratch, 'data.txt'), 'text\n');
    writeFileSync(
      join(scratch, 'page.md'),
      [
        '# Page',
        '[ok](other.md#a-section) [self](#page) [web](https://example.invalid/x.md)',
        '[gone](missing.md) [no anchor](other.md#nowhere) [into text](data.txt#x)',
        '`[in code](missing-too.md)`',
        '```md',
        '[in a block](missing-three.md)',
        '```',
      ].join('\n'),
    );
    expect(brokenLinks(scratch, ['page.md'])).toEqual([
      { where: 'page.md:3', link: 'missing.md', problem: 'missing.md does not exist' },
      { where: 'page.md:3', link: 'other.md#nowhere', problem: 'other.md has no heading with anchor #nowhere' },
      { where: 'page.md:3', link: 'data.txt#x', problem: '#x points into data.txt, not a Markdown page' },
    ]);
  });
});

function readFileLines(path: string): number {
  return readFileSync(path, 'utf8').split('\n').length - 1;
}
