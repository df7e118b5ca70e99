// Regenerates relforge.schema.json from the built zod schema: `pnpm --filter @relforge/config schema`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectConfigJsonSchemaText } from '../dist/index.js';

writeFileSync(join(import.meta.dirname, '..', 'relforge.schema.json'), projectConfigJsonSchemaText());
