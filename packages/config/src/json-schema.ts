/**
 * The JSON Schema editors use to check a config as it is typed, generated from the zod schema so the two cannot
 * disagree on shapes. The cross-field rules (stages, build targets) are zod's alone: JSON Schema cannot say them.
 */
import { z } from 'zod';
import { ProjectConfig } from './schema.js';

/**
 * Editors show a field's description, seldom its `default`; the default is written once, in the zod schema, and
 * said again here in the text people read.
 */
function sayDefaults(node: unknown): void {
  if (Array.isArray(node)) node.forEach(sayDefaults);
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Record<string, unknown>;
  if (typeof schema['description'] === 'string' && 'default' in schema) {
    schema['description'] = `${schema['description']} Default: ${JSON.stringify(schema['default'])}.`;
  }
  Object.values(schema).forEach(sayDefaults);
}

/** relforge.schema.json, before Prettier lays it out. The input side: fields with defaults are optional. */
export function projectConfigJsonSchemaText(): string {
  const { $schema, ...schema } = z.toJSONSchema(ProjectConfig, { io: 'input' });
  sayDefaults(schema);
  return `${JSON.stringify({ $schema, ...schema }, null, 2)}\n`;
}
