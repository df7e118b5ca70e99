import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderReleasePage, websiteReleasePath, type ReleasePage } from '../src/index.js';
import { fixture } from './fixtures.js';

const page: ReleasePage = {
  version: '9.0.0-rc1',
  date: '2025-08-14',
  tag: '9.0.0-rc1',
  artifactSource: 'https://download.valkey.io/releases/',
  artifactFname: 'valkey',
  artifacts: [
    { distro: 'jammy', arch: ['arm64', 'x86_64'] },
    { distro: 'noble', arch: ['arm64', 'x86_64'] },
  ],
  body: 'Valkey 9.0.0-rc1 Release',
};

function frontMatter(rendered: string): unknown {
  const [, yaml] = /^---\n([\s\S]*?)---\n/.exec(rendered) ?? [];
  return parse(yaml ?? '');
}

describe('the website release page', () => {
  it('is named v<version with dots as dashes>.md in the releases folder', () => {
    expect(websiteReleasePath('content/download/releases', '8.1.0-rc1')).toBe(
      'content/download/releases/v8-1-0-rc1.md',
    );
    expect(websiteReleasePath('content/download/releases/', '8.0.1')).toBe('content/download/releases/v8-0-1.md');
    expect(websiteReleasePath('', '9.0.0')).toBe('v9-0-0.md');
  });

  it('renders the front matter the site reads, then the body', () => {
    expect(renderReleasePage(page)).toBe(fixture('website/v9-0-0-rc1.md'));
  });

  it('reads back as the same values, the shape the site templates use', () => {
    expect(frontMatter(renderReleasePage(page))).toEqual({
      title: '9.0.0-rc1',
      date: '2025-08-14',
      extra: {
        tag: '9.0.0-rc1',
        artifact_source: 'https://download.valkey.io/releases/',
        artifact_fname: 'valkey',
        artifacts: page.artifacts,
      },
    });
  });

  it('keeps a version such as "10.0" a string, not a number', () => {
    const rendered = renderReleasePage({ ...page, version: '10.0.0', tag: '10.0' });
    expect(rendered).toContain('    tag: "10.0"\n');
    expect(frontMatter(rendered)).toMatchObject({ extra: { tag: '10.0' } });
  });

  it('adds the "/" the site expects at the end of the download base URL', () => {
    const rendered = renderReleasePage({ ...page, artifactSource: 'https://example.test/releases' });
    expect(frontMatter(rendered)).toMatchObject({ extra: { artifact_source: 'https://example.test/releases/' } });
  });

  it('takes the date it is given, with or without a time', () => {
    expect(renderReleasePage({ ...page, date: '2024-10-02T01:01:02Z' })).toContain('\ndate: 2024-10-02T01:01:02Z\n');
    expect(() => renderReleasePage({ ...page, date: 'yesterday' })).toThrow(/date: expected an ISO date/);
  });

  it('ends right after the front matter when there is no body', () => {
    expect(renderReleasePage({ ...page, body: undefined }).endsWith('x86_64"\n---\n')).toBe(true);
  });

  it('refuses matrix names that would break the download links', () => {
    const call = () => renderReleasePage({ ...page, artifacts: [{ distro: 'Jammy Jellyfish', arch: [] }] });
    expect(call).toThrow(/artifacts\[0\]\.distro: expected lowercase letters/);
    expect(call).toThrow(/artifacts\[0\]\.arch: list at least one architecture/);
  });
});
