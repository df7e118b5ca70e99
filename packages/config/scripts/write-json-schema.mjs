// Regenerates relforge.schema.json from the built zod schema, laid out by Prettier like every file in the repository:
// `pnpm --filter @relforge/config schema`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { projectConfigJsonSchemaText } from '../dist/index.js';

const file = join(import.meta.dirname, '..', 'relforge.schema.json');
writeFileSync(file, await format(projectConfigJsonSchemaText(), { ...(await resolveConfig(file)), filepath: file }));
