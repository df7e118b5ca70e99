import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { refNameProblem } from '../src/git-refs.js';

const accepted = [
  'main',
  'release/8.1',
  'v1.2.3-rc.1',
  'feature/a.b_c-d',
  'a@b',
  'hello.locked',
  'ünïcode',
  '0123456789abcdef0123456789abcdef01234567',
];

const refused: [name: string, problem: string][] = [
  ['', 'must not be empty'],
  ['-f', 'must not begin with "-", which git would read as an option'],
  ['.hidden', 'must have no part between "/" that begins with "."'],
  ['release/.hidden', 'must have no part between "/" that begins with "."'],
  ['main.lock', 'must have no part between "/" that ends with ".lock"'],
  ['main.lock/x', 'must have no part between "/" that ends with ".lock"'],
  ['a..b', 'must not contain ".."'],
  ['a\tb', 'must not contain a control character'],
  ['a\u007fb', 'must not contain a control character'],
  ['a b', 'must not contain a space'],
  ['main~1', 'must not contain "~"'],
  ['main^', 'must not contain "^"'],
  ['a:b', 'must not contain ":"'],
  ['a?', 'must not contain "?"'],
  ['a*', 'must not contain "*"'],
  ['a[1]', 'must not contain "["'],
  ['/main', 'must not begin or end with "/", or have "//"'],
  ['main/', 'must not begin or end with "/", or have "//"'],
  ['a//b', 'must not begin or end with "/", or have "//"'],
  ['main.', 'must not end with "."'],
  ['main@{1}', 'must not contain "@{"'],
  ['@', 'must not be "@" alone'],
  ['a\\b', 'must not contain "\\"'],
  ['HEAD', 'must not be "HEAD", which git reads as the checked-out commit'],
];

/** Whether the git on this machine takes `refs/tags/<name>`. */
const gitTakesTag = (name: string) => spawnSync('git', ['check-ref-format', `refs/tags/${name}`]).status === 0;

describe("git's rules for branch and tag names", () => {
  it.each(accepted)('accepts %s', (name) => {
    expect(refNameProblem(name, 'branch')).toBeUndefined();
  });

  it.each(refused)('refuses %j: it %s', (name, problem) => {
    expect(refNameProblem(name, 'branch')).toBe(problem);
  });

  it('agrees with git check-ref-format on every tag name above but the two that git tag and command lines add', () => {
    const names = [...accepted, ...refused.map(([name]) => name)].filter((name) => name !== '');
    const disagreements = names.filter((name) => (refNameProblem(name, 'tag') === undefined) !== gitTakesTag(name));
    expect(disagreements).toEqual(['-f', '@']);
  });

  it('lets a tag be called HEAD, as git tag does, but not a branch', () => {
    expect(refNameProblem('HEAD', 'tag')).toBeUndefined();
    expect(refNameProblem('HEAD', 'ref')).toBe('must not be "HEAD", which git reads as the checked-out commit');
  });
});
