/**
 * The JSON Schema editors use to check a config as it is typed, generated from the zod schema so the two cannot
 * disagree on shapes. The cross-field rules (stages, build targets) are zod's alone: JSON Schema cannot say them.
 */
import { z } from 'zod';
import { ProjectConfig } from './schema.js';

/** The text of the committed relforge.schema.json. The input side: fields with defaults are optional. */
export function projectConfigJsonSchemaText(): string {
  const { $schema, ...schema } = z.toJSONSchema(ProjectConfig, { io: 'input' });
  return `${JSON.stringify({ $schema, title: 'Relforge release config', ...schema }, null, 2)}\n`;
}
