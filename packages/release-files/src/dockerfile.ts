/**
 * Dockerfiles rendered from a template in the container repository. Placeholders are `{{name}}`; anything else
 * between `{{ }}` is refused, so a template written for another tool (valkey-container's bashbrew templates use
 * `{{ .version }}`) fails loudly instead of leaking into an image. The rendered file must pin the release through
 * `ENV <PREFIX>_VERSION`, `_DOWNLOAD_URL` and `_DOWNLOAD_SHA`, which is what its build checks the download against.
 */
import { z } from 'zod';
import { RelforgeError, parseInput } from '@relforge/errors';
import { DownloadUrl, Sha256Hex, Token, Version } from './shapes.js';

export const DockerfileValues = z.strictObject({
  version: Version,
  majorMinor: z.string().regex(/^\d+\.\d+$/, 'expected "<major>.<minor>", e.g. "8.1"'),
  distro: Token.optional(),
  downloadUrl: DownloadUrl,
  downloadSha256: Sha256Hex,
  envPrefix: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected an upper-case identifier, e.g. "VALKEY"'),
});
export type DockerfileValues = z.infer<typeof DockerfileValues>;

/** The template cannot be rendered, or its result does not pin the release. */
export class DockerfileTemplateError extends RelforgeError {}

const placeholderNames = ['version', 'majorMinor', 'distro', 'downloadUrl', 'downloadSha256'] as const;
type PlaceholderName = (typeof placeholderNames)[number];
const isPlaceholderName = (name: string): name is PlaceholderName =>
  (placeholderNames as readonly string[]).includes(name);

const placeholder = /\{\{(.*?)\}\}/g;

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length;
}

const unquote = (value: string) => value.replace(/^(["'])(.*)\1$/, '$2');

/** Every variable an `ENV` instruction sets, in both forms: `ENV K=V [K2=V2 …]` and the legacy `ENV K V`. */
function envVariables(dockerfile: string): Map<string, string> {
  const variables = new Map<string, string>();
  // Continuation lines belong to the instruction they continue.
  const instructions = dockerfile.replace(/\\\r?\n/g, ' ').split('\n');
  for (const instruction of instructions) {
    const args = /^\s*ENV\s+(.*?)\s*$/i.exec(instruction)?.[1];
    if (!args) continue;
    // The legacy form is told apart by its first word having no "=".
    const legacy = /^([^\s=]+)\s+(.*)$/.exec(args);
    const pairs = legacy ? [legacy] : args.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g);
    for (const [, key = '', value = ''] of pairs) variables.set(key, unquote(value));
  }
  return variables;
}

/**
 * `templateName` (its path in the container repository, e.g. "Dockerfile.template") is what errors call the
 * template, so the person fixing it knows which file to open.
 */
export function renderDockerfile(
  template: string,
  values: DockerfileValues,
  templateName = 'the Dockerfile template',
): string {
  const input = parseInput(
    DockerfileValues,
    values,
    `values for ${templateName}`,
    "pass the release version, its download URL and sha256, and the config's envPrefix",
  );
  const problems: string[] = [];
  for (const match of template.matchAll(placeholder)) {
    const name = (match[1] ?? '').trim();
    const where = `${templateName} line ${lineAt(template, match.index)}`;
    if (!isPlaceholderName(name)) problems.push(`${where}: unknown placeholder ${match[0]}`);
    else if (name === 'distro' && input.distro === undefined)
      problems.push(`${where}: {{distro}} is used, but this template has no distro`);
  }
  if (problems.length > 0) {
    throw new DockerfileTemplateError(`cannot render ${templateName}:\n${problems.join('\n')}`, {
      fix: `use only ${placeholderNames.map((name) => `{{${name}}}`).join(', ')} in the template, and set "distro" on the template in containerRepo.templates if it uses {{distro}}`,
    });
  }
  // One pass over the template: a value that happens to contain "{{" is never expanded again.
  const rendered = template.replace(placeholder, (whole, inner: string) => {
    const name = inner.trim();
    return isPlaceholderName(name) ? (input[name] ?? whole) : whole;
  });
  assertPinsRelease(templateName, rendered, input);
  return rendered;
}

function assertPinsRelease(templateName: string, rendered: string, input: DockerfileValues): void {
  const variables = envVariables(rendered);
  const expected: [string, string, PlaceholderName][] = [
    [`${input.envPrefix}_VERSION`, input.version, 'version'],
    [`${input.envPrefix}_DOWNLOAD_URL`, input.downloadUrl, 'downloadUrl'],
    [`${input.envPrefix}_DOWNLOAD_SHA`, input.downloadSha256, 'downloadSha256'],
  ];
  const problems: string[] = [];
  const fixes: string[] = [];
  for (const [name, value, source] of expected) {
    const actual = variables.get(name);
    if (actual === undefined) problems.push(`no "ENV ${name}" line`);
    else if (actual !== value) problems.push(`ENV ${name} is "${actual}", not "${value}"`);
    else continue;
    fixes.push(`ENV ${name}={{${source}}}`);
  }
  if (problems.length > 0) {
    throw new DockerfileTemplateError(
      `${templateName} renders a Dockerfile that does not pin this release: ${problems.join('; ')}`,
      {
        fix: `put ${fixes.map((line) => `"${line}"`).join(', ')} in ${templateName}, so the image is built from the released file and checked against its digest`,
      },
    );
  }
}
