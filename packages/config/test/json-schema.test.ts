import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { projectConfigJsonSchemaText } from '../src/index.js';

const packageDir = join(import.meta.dirname, '..');
const corpus = join(import.meta.dirname, 'corpus');
const schemaFile = join(packageDir, 'relforge.schema.json');
const committed = readFileSync(schemaFile, 'utf8');

// zod checks URLs with the WHATWG parser; the JSON Schema only says "uri", so editors' check is given the same one.
const ajv = new Ajv2020({ allErrors: true, formats: { uri: (text: string) => URL.canParse(text) } });
const validate = ajv.compile(JSON.parse(committed));

const readConfig = (name: string): unknown => {
  const text = readFileSync(join(corpus, name), 'utf8');
  return extname(name) === '.json' ? JSON.parse(text) : parseYaml(text);
};

/** Bad configs that only zod refuses: rules across fields, or beyond what a JSON Schema pattern says. */
const zodOnly = [
  'bad-config-12-zero-duration.yaml',
  'bad-config-14-duplicate-distro.yaml',
  'bad-config-15-duplicate-arch.yaml',
  'bad-config-16-template-unknown-distro.yaml',
  'bad-config-17-template-unknown-arch.yaml',
  'bad-config-18-template-arch-without-distro.yaml',
  'bad-config-20-stages-out-of-order.yaml',
  'bad-config-21-stage-listed-twice.yaml',
  'bad-config-22-stage-without-section.yaml',
  'bad-config-23-all-stages-without-sections.yaml',
  'bad-config-29-unknown-placeholder.yaml',
  'bad-config-30-output-distro-without-target.yaml',
  'bad-config-31-source-tarball-not-built.yaml',
  'bad-config-32-public-url-trailing-slash.yaml',
  'bad-config-87-staging-inside-public-prefix.yaml',
  'bad-config-88-staging-in-public-bucket.yaml',
  'bad-config-89-public-prefix-with-wildcard.yaml',
  'bad-config-93-webhook-unknown-event-type.yaml',
  'bad-config-105-webhook-unknown-train-event-type.yaml',
  'bad-config-94-webhook-duplicate-name.yaml',
  // The approval's rules across fields: its stage against stages, required against the approvers listed.
  'bad-config-96-approval-more-than-listed.yaml',
  'bad-config-98-approval-nobody.yaml',
  'bad-config-100-approval-stage-not-run.yaml',
  // Paths that leave their repository, ref names git refuses, credentials in addresses: only zod says why. (An
  // address still holding its ${VAR} is no URL to an editor, which refuses it for that.)
  ...readdirSync(corpus).filter(
    (name) => name.includes('-escape-') && !name.includes('-expanded-') && !name.endsWith('.expected.txt'),
  ),
];
/** Bad configs whose text does not even parse, so no schema sees them. */
const unparsable =
  /yaml-syntax|yaml-duplicate|yaml-secret-syntax|json-trailing|json-secret-unquoted|unknown-extension|empty-file/;
const badConfigs = readdirSync(corpus).filter(
  (name) => name.startsWith('bad-config-') && !name.endsWith('.expected.txt') && !unparsable.test(name),
);

/** Every property of a JSON Schema, at any depth (inside objects, lists and union branches), with its path. */
function propertiesOf(node: unknown, path = ''): [path: string, schema: Record<string, unknown>][] {
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => {
    if (key !== 'properties' || typeof value !== 'object' || value === null) return propertiesOf(value, path);
    return Object.entries(value as Record<string, Record<string, unknown>>).flatMap(([name, property]) => {
      const at = path === '' ? name : `${path}.${name}`;
      return [[at, property] as [string, Record<string, unknown>], ...propertiesOf(property, at)];
    });
  });
}

describe('the committed JSON Schema', () => {
  it('describes every field, so an editor can say what it is for', () => {
    const schema = JSON.parse(committed) as Record<string, unknown>;
    const fields = propertiesOf(schema);
    expect(fields.length).toBeGreaterThanOrEqual(60);
    const undescribed = fields.filter(([, property]) => !property['description']).map(([path]) => path);
    expect(
      undescribed,
      'add .meta({ description }) to these fields (src/fields.ts and the src/*-sections.ts files)',
    ).toEqual([]);
    expect(schema['description']).toEqual(expect.any(String));
  });

  it("says each field's default in its description", () => {
    const withDefaults = propertiesOf(JSON.parse(committed)).filter(([, property]) => 'default' in property);
    expect(withDefaults.length).toBeGreaterThanOrEqual(10);
    for (const [path, property] of withDefaults) {
      expect(property['description'], path).toContain(`Default: ${JSON.stringify(property['default'])}.`);
    }
  });

  it('is the one the zod schema generates, as Prettier lays it out', async () => {
    const generated = await format(projectConfigJsonSchemaText(), {
      ...(await resolveConfig(schemaFile)),
      filepath: schemaFile,
    });
    expect(committed, 'relforge.schema.json is stale: run `pnpm --filter @relforge/config schema` and commit it').toBe(
      generated,
    );
  });

  it.each(['good-full.yaml', 'good-minimal.yaml', 'good-minimal.json'])('accepts %s, as zod does', (name) => {
    expect(validate(readConfig(name)), ajv.errorsText(validate.errors)).toBe(true);
  });

  it.each(badConfigs.filter((name) => !zodOnly.includes(name)))('refuses %s, as zod does', (name) => {
    expect(validate(readConfig(name))).toBe(false);
  });

  it.each(zodOnly)('lets %s through, leaving it to zod', (name) => {
    expect(validate(readConfig(name)), ajv.errorsText(validate.errors)).toBe(true);
  });
});
