import { describe, expect, it } from 'vitest';
import { closestMatch } from '../src/index.js';

describe('suggestions for a typo', () => {
  it('find the known word a dropped, added, changed or swapped letter or two away', () => {
    expect(closestMatch('pubish', ['project', 'publish'])).toBe('publish');
    expect(closestMatch('pbulish', ['project', 'publish'])).toBe('publish');
    expect(closestMatch('checksum_repo', ['checksumRepo', 'containerRepo'])).toBe('checksumRepo');
    expect(closestMatch('Bucket', ['bucket', 'prefix'])).toBe('bucket');
  });

  it('suggest nothing when no known word is close, or the word is a short one rewritten', () => {
    expect(closestMatch('parallelism', ['command', 'timeout', 'matrix', 'sourceTarball'])).toBeUndefined();
    expect(closestMatch('ab', ['s3'])).toBeUndefined();
  });

  it('prefer the closest of several candidates', () => {
    expect(closestMatch('matrx', ['mat', 'matrix'])).toBe('matrix');
  });
});
