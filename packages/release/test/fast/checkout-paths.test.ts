import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReleaseFailureType } from '@relforge/release';
import { afterAll, describe, expect, it } from 'vitest';
import { type CheckoutPath, pathInCheckout } from '../../src/activities/checkout-paths.js';
import { PermanentError } from '../../src/activities/failures.js';

/*
 * A checkout beside a folder it must not reach, reached itself through a symlink as a worker's tmp folder may be:
 *   root/outside/secret.txt, root/outside/pipe (a FIFO: opening it would hang), root/checkout/..., root/via -> checkout
 */
const root = realpathSync(mkdtempSync(join(tmpdir(), 'relforge-checkout-paths-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const outside = join(root, 'outside');
const checkout = join(root, 'checkout');
mkdirSync(outside);
writeFileSync(join(outside, 'secret.txt'), 'not for the repository\n');
execFileSync('mkfifo', [join(outside, 'pipe')]);
mkdirSync(join(checkout, '.git'), { recursive: true });
mkdirSync(join(checkout, 'templates'));
writeFileSync(join(checkout, 'templates', 'Dockerfile'), 'FROM scratch\n');
symlinkSync(checkout, join(root, 'via'));

const links: Record<string, string> = {
  'Dockerfile.template': 'templates/Dockerfile',
  'passwd.template': '/etc/passwd',
  'secret.template': '../outside/secret.txt',
  'pipe.template': join(outside, 'pipe'),
  'roundabout.template': 'templates/../../outside/secret.txt',
  'dangling.json': '../outside/not-yet.json',
  'hook.template': '.git/hooks/post-commit',
  'loop-a': 'loop-b',
  'loop-b': 'loop-a',
  '1.2': '../outside',
  inner: 'templates',
};
for (const [name, target] of Object.entries(links)) symlinkSync(target, join(checkout, name));

const template = (path: string, use: CheckoutPath['use'] = 'read'): CheckoutPath => ({
  repository: 'example/hello-container',
  branch: 'main',
  field: 'containerRepo.templates[0].template',
  path,
  use,
});

async function refusal(path: string, use: CheckoutPath['use'] = 'read'): Promise<PermanentError> {
  const error = await pathInCheckout(checkout, template(path, use)).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error, `${path} was let through`).toBeInstanceOf(PermanentError);
  const refused = error as PermanentError;
  expect(refused.type).toBe(ReleaseFailureType.InputError);
  return refused;
}

describe('a path in a repository checkout', () => {
  it('is the file itself when it is a plain file or not there yet', async () => {
    expect(await pathInCheckout(checkout, template('templates/Dockerfile'))).toBe(
      join(checkout, 'templates', 'Dockerfile'),
    );
    expect(await pathInCheckout(checkout, template('1.3/bookworm/Dockerfile', 'write'))).toBe(
      join(checkout, '1.3', 'bookworm', 'Dockerfile'),
    );
  });

  it('follows a symlink that stays inside the checkout, to where it leads', async () => {
    expect(await pathInCheckout(checkout, template('Dockerfile.template'))).toBe(
      join(checkout, 'templates', 'Dockerfile'),
    );
    expect(await pathInCheckout(checkout, template('inner/Dockerfile'))).toBe(
      join(checkout, 'templates', 'Dockerfile'),
    );
  });

  it('takes a checkout that is itself reached through a symlink', async () => {
    expect(await pathInCheckout(join(root, 'via'), template('Dockerfile.template'))).toBe(
      join(checkout, 'templates', 'Dockerfile'),
    );
  });

  it('refuses a symlink to an absolute path, naming the file, the field, the link and the fix', async () => {
    const refused = await refusal('passwd.template');
    expect(refused.message).toBe(
      'passwd.template (containerRepo.templates[0].template) in example/hello-container on main leads out of the repository through the symlink passwd.template; Relforge did not read it',
    );
    expect(refused.fix).toBe(
      'replace the symlink passwd.template in example/hello-container with the file itself (or a link inside the repository), or point containerRepo.templates[0].template at another path, then resume the release',
    );
  });

  it.each(['secret.template', 'roundabout.template'])(
    'refuses %s, a relative symlink that climbs out',
    async (path) => {
      expect((await refusal(path)).message).toContain(`leads out of the repository through the symlink ${path};`);
    },
  );

  it('refuses a symlink to a FIFO outside without opening it, which would hang', async () => {
    expect((await refusal('pipe.template')).message).toContain('through the symlink pipe.template');
  });

  it('refuses a dangling symlink out, which a write would follow to create the file outside', async () => {
    expect((await refusal('dangling.json', 'write')).message).toBe(
      'dangling.json (containerRepo.templates[0].template) in example/hello-container on main leads out of the repository through the symlink dangling.json; Relforge did not write it',
    );
  });

  it('refuses a folder symlink on the way to an output, naming that folder', async () => {
    expect((await refusal('1.2/bookworm/Dockerfile', 'write')).message).toContain(
      'leads out of the repository through the symlink 1.2;',
    );
  });

  it("refuses a symlink into the checkout's .git folder", async () => {
    expect((await refusal('hook.template')).message).toContain(
      "leads into the checkout's .git folder through the symlink hook.template;",
    );
  });

  it('refuses symlinks that lead round in a loop', async () => {
    expect((await refusal('loop-a')).message).toContain('goes round more than 40 symlinks through the symlink loop-a;');
  });

  it('refuses ".." out of the checkout, from a plan recorded before the config refused it', async () => {
    const refused = await refusal('../outside/secret.txt');
    expect(refused.message).toBe(
      '../outside/secret.txt (containerRepo.templates[0].template) in example/hello-container on main leads out of the repository; Relforge did not read it',
    );
    expect(refused.fix).toBe(
      'point containerRepo.templates[0].template at a path inside the repository, then resume the release',
    );
  });
});
