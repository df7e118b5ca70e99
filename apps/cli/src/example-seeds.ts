/** The bundled example's four repositories, seeded on the stack's GitHub stand-in (ones that exist are kept). */
import { join } from 'node:path';
import { StandInAdmin } from '@relforge/github-standin';
import { workspaceRoot } from '@relforge/local-servers';
import type { StackState } from '@relforge/stack';

export const exampleOwner = 'relforge-examples';

export async function seedExampleRepositories(state: StackState): Promise<StandInAdmin> {
  const example = join(workspaceRoot(), 'examples', 'hello');
  const admin = new StandInAdmin(state.github.url);
  const seeds: [string, string][] = [
    ['hello', join(example, 'src')],
    ['hello-hashes', join(example, 'seeds', 'hashes')],
    ['hello-container', join(example, 'seeds', 'container')],
    ['hello-website', join(example, 'seeds', 'website')],
  ];
  for (const [name, seedDir] of seeds) await admin.createRepo({ owner: exampleOwner, name, seedDir });
  return admin;
}
