import { describe, expect, it } from 'vitest';
import { DockerfileTemplateError, renderDockerfile, type DockerfileValues } from '../src/index.js';
import { fixture } from './fixtures.js';

const values: DockerfileValues = {
  version: '8.1.2',
  majorMinor: '8.1',
  distro: 'bookworm',
  downloadUrl: 'https://download.valkey.io/releases/valkey-8.1.2.tar.gz',
  downloadSha256: 'a'.repeat(64),
  envPrefix: 'VALKEY',
};
const template = fixture('container/Dockerfile.template');

function renderError(text: string, overrides: Partial<DockerfileValues> = {}): DockerfileTemplateError {
  try {
    renderDockerfile(text, { ...values, ...overrides }, 'Dockerfile.template');
  } catch (error) {
    if (error instanceof DockerfileTemplateError) return error;
    throw error;
  }
  throw new Error('expected renderDockerfile to throw');
}

const envLines = (prefix = 'VALKEY') =>
  `ENV ${prefix}_VERSION={{version}}\nENV ${prefix}_DOWNLOAD_URL={{downloadUrl}}\nENV ${prefix}_DOWNLOAD_SHA={{downloadSha256}}\n`;

describe('rendering a Dockerfile', () => {
  it('fills every placeholder of the template', () => {
    expect(renderDockerfile(template, values, 'Dockerfile.template')).toBe(fixture('container/Dockerfile.bookworm'));
  });

  it('accepts ENV in the legacy "ENV K V" form, and spaces inside the braces', () => {
    const text =
      'FROM scratch\nENV VALKEY_VERSION {{ version }}\nENV VALKEY_DOWNLOAD_URL "{{downloadUrl}}"\nENV VALKEY_DOWNLOAD_SHA {{downloadSha256}}\n';
    expect(renderDockerfile(text, values)).toContain('ENV VALKEY_VERSION 8.1.2\n');
  });

  it('refuses an unknown placeholder, naming it and its line', () => {
    const error = renderError(`FROM debian\n${envLines()}RUN echo {{ .version }} {{sha}}\n`);
    expect(error.message).toBe(
      'cannot render Dockerfile.template:\nDockerfile.template line 5: unknown placeholder {{ .version }}\nDockerfile.template line 5: unknown placeholder {{sha}}',
    );
    expect(error.fix).toMatch(
      /use only \{\{version\}\}, \{\{majorMinor\}\}, \{\{distro\}\}, \{\{downloadUrl\}\}, \{\{downloadSha256\}\}/,
    );
  });

  it('refuses {{distro}} in a template that has no distro', () => {
    const call = () => renderDockerfile(template, { ...values, distro: undefined }, 'Dockerfile.template');
    expect(call).toThrow('Dockerfile.template line 1: {{distro}} is used, but this template has no distro');
  });

  it('refuses a template whose result does not pin the download, naming the missing lines and the template', () => {
    const error = renderError('FROM debian\nENV VALKEY_VERSION={{version}}\n');
    expect(error.message).toBe(
      'Dockerfile.template renders a Dockerfile that does not pin this release: no "ENV VALKEY_DOWNLOAD_URL" line; no "ENV VALKEY_DOWNLOAD_SHA" line',
    );
    expect(error.fix).toBe(
      'put "ENV VALKEY_DOWNLOAD_URL={{downloadUrl}}", "ENV VALKEY_DOWNLOAD_SHA={{downloadSha256}}" in Dockerfile.template, so the image is built from the released file and checked against its digest',
    );
  });

  it('refuses ENV lines for another prefix, calling an unnamed template "the Dockerfile template"', () => {
    expect(() => renderDockerfile(envLines('REDIS'), values)).toThrow(
      /^the Dockerfile template renders a Dockerfile that does not pin this release: no "ENV VALKEY_VERSION" line/,
    );
  });

  it('refuses a hard-coded value that is not this release', () => {
    const text = envLines().replace('{{version}}', '8.0.0');
    expect(() => renderDockerfile(text, values)).toThrow('ENV VALKEY_VERSION is "8.0.0", not "8.1.2"');
  });

  it('never expands placeholders inside a value', () => {
    const text = `${envLines()}LABEL u="{{downloadUrl}}"\n`;
    const url = 'https://x.test/{{version}}.tar.gz';
    expect(renderDockerfile(text, { ...values, downloadUrl: url })).toContain(`LABEL u="${url}"`);
  });

  it('refuses values that could add lines to the Dockerfile', () => {
    expect(() => renderDockerfile(envLines(), { ...values, downloadUrl: 'https://x.test/a\nRUN evil' })).toThrow(
      /downloadUrl: /,
    );
  });
});
