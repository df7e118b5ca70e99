import { describe, expect, it } from 'vitest';
import { splitFix, withFix } from '../src/index.js';

describe('a failure that carries its fix in one line', () => {
  it('splits back into the message and the fix it was written from', () => {
    const line = withFix('forge.auth.token: refused (401)', 'rotate the token, then resume the release');
    expect(line).toBe('forge.auth.token: refused (401) — fix: rotate the token, then resume the release');
    expect(splitFix(line)).toEqual({
      message: 'forge.auth.token: refused (401)',
      fix: 'rotate the token, then resume the release',
    });
  });

  it('splits at the last marker, so a message that quotes another failure keeps it whole', () => {
    const inner = withFix('the step failed', 'resume it');
    expect(splitFix(withFix(`train refused: ${inner}`, 'see the train'))).toEqual({
      message: 'train refused: the step failed — fix: resume it',
      fix: 'see the train',
    });
  });

  it('has no fix when the line carries none', () => {
    expect(splitFix('aborted by an operator: superseded')).toEqual({ message: 'aborted by an operator: superseded' });
  });
});
