/**
 * The bundled example's four repositories, seeded on the stack's GitHub stand-in (ones that exist are kept), and a
 * webhook on its source repository that delivers to the stack's gateway, as a project's hook on GitHub would.
 */
import { join } from 'node:path';
import { StackError } from '@relforge/errors';
import { StandInAdmin } from '@relforge/github-standin';
import { workspaceRoot } from '@relforge/local-servers';
import { localCredentials, type StackState } from '@relforge/stack';

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
  if (state.gateway) await ensureWebhook(state, `${exampleOwner}/hello`, `${state.gateway.url}/github/webhooks`);
  return admin;
}

/** Through GitHub's REST API on the stand-in: a tag pushed to the repository, or a release published in it, is delivered. */
async function ensureWebhook(state: StackState, repo: string, url: string): Promise<void> {
  const { githubToken, webhookSecret } = localCredentials();
  const call = async (method: string, body?: unknown) => {
    const response = await fetch(`${state.github.url}/repos/${repo}/hooks`, {
      method,
      headers: {
        authorization: `Bearer ${githubToken}`,
        accept: 'application/vnd.github+json',
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) {
      throw new StackError(`the GitHub stand-in refused ${method} /repos/${repo}/hooks (${response.status})`, {
        fix: 'run `relforge stack down`, then `relforge demo` again',
      });
    }
    return (await response.json()) as { config: { url?: string } }[];
  };
  const hooks = await call('GET');
  if (hooks.some((hook) => hook.config.url === url)) return;
  await call('POST', {
    config: { url, content_type: 'json', secret: webhookSecret },
    events: ['push', 'create', 'release'],
  });
}
