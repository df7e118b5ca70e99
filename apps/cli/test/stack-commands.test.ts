import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { isAlive, workspaceRoot } from '@relforge/local-servers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { until } from '@relforge/testkit';
import { seedExampleRepositories } from '../src/dev/example-seeds.js';
import { runCli, stackEnvironment, startCli } from './run-cli.js';

interface StackFile {
  temporal: { pid: number; address: string; uiUrl: string };
  s3: { pid: number; endpoint: string };
  github: { pid: number; url: string };
  nats: { pid: number; url: string };
  worker?: { pid: number; logFile: string };
  gateway?: { pid: number; url: string; logFile: string };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) {
    await runCli(['stack', 'down'], { RELFORGE_STATE_DIR: dir });
    rmSync(dir, { recursive: true, force: true });
  }
});

async function stackEnv() {
  const env = await stackEnvironment();
  dirs.push(env.RELFORGE_STATE_DIR);
  return env;
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('relforge stack', () => {
  it('starts the servers in the background, reports them, and stops them', async () => {
    const env = await stackEnv();
    const up = await runCli(['stack', 'up'], env);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toContain(`Temporal   127.0.0.1:${env.RELFORGE_TEMPORAL_PORT}`);
    expect(up.stdout).toContain(`Web UI     http://127.0.0.1:${env.RELFORGE_UI_PORT}/namespaces/relforge/workflows`);
    expect(up.stdout).toContain(`S3         http://127.0.0.1:${env.RELFORGE_S3_PORT}`);
    expect(up.stdout).toContain(`GitHub     http://127.0.0.1:${env.RELFORGE_GITHUB_PORT}`);
    expect(up.stdout).toContain(
      `NATS       nats://127.0.0.1:${env.RELFORGE_NATS_PORT}  (JetStream, stream relforge-events-relforge: the release events)`,
    );

    const state = JSON.parse(readFileSync(join(env.RELFORGE_STATE_DIR, 'stack.json'), 'utf8')) as StackFile;
    expect(isAlive(state.temporal.pid)).toBe(true);
    expect(isAlive(state.s3.pid)).toBe(true);
    expect(isAlive(state.github.pid)).toBe(true);
    expect(isAlive(state.nats.pid)).toBe(true);
    expect((await fetch(state.temporal.uiUrl)).status).toBe(200);
    // The stack's worker runs in the background, its log named, and `up` returned only once it polled.
    const worker = state.worker;
    expect(worker && isAlive(worker.pid)).toBe(true);
    expect(up.stdout).toContain(`worker     running, pid ${worker?.pid}`);
    expect(up.stdout).toContain(join(env.RELFORGE_STATE_DIR, 'logs', 'worker.log'));
    expect(readFileSync(join(env.RELFORGE_STATE_DIR, 'logs', 'worker.log'), 'utf8')).toContain(
      'relforge worker: polling task queues "relforge", "relforge-build-bookworm-x86_64", "relforge-build-bookworm-arm64"',
    );
    // The worker logs release events to the stack's NATS.
    expect(readFileSync(join(env.RELFORGE_STATE_DIR, 'logs', 'worker.log'), 'utf8')).toContain(
      `relforge worker: release events to nats://127.0.0.1:${env.RELFORGE_NATS_PORT}, stream relforge-events-relforge`,
    );

    // The gateway too, ready (it reaches Temporal), on the port asked for.
    const gateway = state.gateway;
    // Its forge is the stand-in, asked with the bot token; its demo person is made there and named.
    expect(up.stdout).toContain(
      'demo user  demo-maintainer  (admin on relforge-examples/hello; `relforge dispatch` and `approve` act as them without RELFORGE_GITHUB_TOKEN)',
    );
    expect(gateway?.url).toBe(`http://127.0.0.1:${env.RELFORGE_GATEWAY_PORT}`);
    expect(up.stdout).toContain(
      `gateway    ${gateway?.url}  (running; GitHub webhooks at ${gateway?.url}/github/webhooks)`,
    );
    expect(await (await fetch(`${gateway?.url}/readyz`)).json()).toMatchObject({
      status: 'ready',
      projects: ['hello'],
    });
    expect(readFileSync(gateway?.logFile ?? '', 'utf8')).toContain('relforge gateway: routes GitHub events for hello');
    // Its board reads the stack's JetStream and links to the dev server's Web UI.
    expect(await (await fetch(`${gateway?.url}/api/releases`)).json()).toMatchObject({
      temporalUiUrl: `http://127.0.0.1:${env.RELFORGE_UI_PORT}`,
      events: { on: true, stream: 'relforge-events-relforge' },
    });

    const again = await runCli(['stack', 'up'], env);
    expect(again.code).toBe(0);
    const sameState = JSON.parse(readFileSync(join(env.RELFORGE_STATE_DIR, 'stack.json'), 'utf8')) as StackFile;
    expect(sameState.temporal.pid).toBe(state.temporal.pid);
    expect(sameState.worker?.pid).toBe(state.worker?.pid);
    expect(sameState.gateway?.pid).toBe(state.gateway?.pid);

    const status = await runCli(['stack', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('local stack: running');
    expect(status.stdout).toContain(`NATS       nats://127.0.0.1:${env.RELFORGE_NATS_PORT}`);

    const down = await runCli(['stack', 'down'], env);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain('local stack stopped');
    expect(isAlive(state.temporal.pid)).toBe(false);
    expect(isAlive(state.s3.pid)).toBe(false);
    expect(isAlive(state.github.pid)).toBe(false);
    expect(isAlive(state.nats.pid)).toBe(false);
    expect(isAlive(worker?.pid ?? 0)).toBe(false);
    expect(isAlive(gateway?.pid ?? 0)).toBe(false);

    const after = await runCli(['stack', 'status'], env);
    expect(after.code).toBe(1);
    expect(after.stdout).toContain('not running');
  });

  it('refuses a taken port with one line naming it and the fix, and leaves no server running', async () => {
    const env = await stackEnv();
    const squatter = await listen(Number(env.RELFORGE_S3_PORT));
    try {
      const up = await runCli(['stack', 'up'], env);
      expect(up.code).toBe(3);
      expect(up.stderr).toContain(`relforge: port ${env.RELFORGE_S3_PORT} (S3 server) is already in use on 127.0.0.1`);
      expect(up.stderr).toContain('fix: stop whatever listens there');
      expect(up.stderr).toContain('--s3-port or RELFORGE_S3_PORT');
      expect(up.stderr).not.toMatch(/\n\s+at /);
      // Temporal had started before S3 was refused: it must have been stopped again.
      const temporalPort = Number(env.RELFORGE_TEMPORAL_PORT);
      const probe = await listen(temporalPort);
      probe.close();
    } finally {
      squatter.close();
    }
  });

  it('says how to build the servers when they are missing', async () => {
    const env = await stackEnv();
    const up = await runCli(['stack', 'up'], { ...env, RELFORGE_BIN_DIR: join(env.RELFORGE_STATE_DIR, 'no-bin') });
    expect(up.code).toBe(3);
    expect(up.stderr).toContain('relforge: temporal is not built');
    expect(up.stderr).toContain('fix: run `bash infra/install.sh`');
  });

  it('refuses a malformed port before starting anything', async () => {
    const env = await stackEnv();
    const flag = await runCli(['stack', 'up', '--temporal-port', 'seven'], env);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain(
      "option '--temporal-port <port>' argument 'seven' is invalid. expected a port number from 1 to 65535",
    );

    const variable = await runCli(['stack', 'up'], { ...env, RELFORGE_UI_PORT: '99999' });
    expect(variable.code).toBe(2);
    expect(variable.stderr).toContain('relforge: RELFORGE_UI_PORT=99999 is not a port number');
  });
});

describe('relforge demo', () => {
  it('releases the example end to end, and a second run changes nothing', { timeout: 300_000 }, async () => {
    const env = await stackEnv();
    const demo = await runCli(['demo'], env);
    expect(demo.stderr).toBe('');
    expect(demo.code).toBe(0);
    for (const stage of ['build', 'checksum', 'publish', 'checksum-repo', 'container-repo', 'website']) {
      expect(demo.stdout).toMatch(new RegExp(`^✓ ${stage} \\(`, 'm'));
    }
    expect(demo.stdout).toMatch(/^released hello 1\.2\.3 from [0-9a-f]{12}$/m);
    const s3 = `http://127.0.0.1:${env.RELFORGE_S3_PORT}/relforge-releases/releases`;
    expect(demo.stdout).toMatch(
      new RegExp(
        `hello-1\\.2\\.3-bookworm-x86_64\\.tar\\.gz  sha256 [0-9a-f]{64}  ${s3}/hello-1\\.2\\.3-bookworm-x86_64\\.tar\\.gz`,
      ),
    );
    expect(demo.stdout).toContain(
      `publish release: http://127.0.0.1:${env.RELFORGE_GITHUB_PORT}/relforge-examples/hello/releases/tag/v1.2.3`,
    );
    expect(demo.stdout).toMatch(/checksum-repo commit: [0-9a-f]{40}/);
    expect(demo.stdout).toContain(
      `container-repo pullRequest: http://127.0.0.1:${env.RELFORGE_GITHUB_PORT}/relforge-examples/hello-container/pull/1`,
    );
    expect(demo.stdout).toContain(
      `website pullRequest: http://127.0.0.1:${env.RELFORGE_GITHUB_PORT}/relforge-examples/hello-website/pull/1`,
    );
    const link = demo.stdout.match(/Web UI: (http:\/\/\S+)/)?.[1];
    expect(link).toBe(`http://127.0.0.1:${env.RELFORGE_UI_PORT}/namespaces/relforge/workflows/release%2Fhello%2F1.2.3`);
    expect((await fetch(link as string)).status).toBe(200);

    // The example's webhook delivers to the stack's gateway, signed with the secret both were given: the demo's own
    // publishing (its tag, its release) was delivered and accepted, none refused.
    const { githubToken } = JSON.parse(readFileSync(join(env.RELFORGE_STATE_DIR, 'credentials.json'), 'utf8')) as {
      githubToken: string;
    };
    const api = (path: string) =>
      fetch(`http://127.0.0.1:${env.RELFORGE_GITHUB_PORT}/repos/relforge-examples/hello${path}`, {
        headers: { authorization: `Bearer ${githubToken}` },
      }).then((response) => response.json() as Promise<unknown>);
    const hooks = (await api('/hooks')) as { id: number; config: { url: string } }[];
    expect(hooks.map((hook) => hook.config.url)).toEqual([
      `http://127.0.0.1:${env.RELFORGE_GATEWAY_PORT}/github/webhooks`,
    ]);
    const delivered = await until('the demo release events to be delivered', async () => {
      const list = (await api(`/hooks/${hooks[0]?.id}/deliveries`)) as { event: string; status_code: number }[];
      return list.some((delivery) => delivery.event === 'release') ? list : undefined;
    });
    expect(delivered.every((delivery) => [200, 202].includes(delivery.status_code))).toBe(true);

    // Gateway commands on the stack with no token of one's own: as its demo person, admin of the example, said once on
    // stderr; the token stays in the state folder.
    const { demoToken } = JSON.parse(readFileSync(join(env.RELFORGE_STATE_DIR, 'credentials.json'), 'utf8')) as {
      demoToken: string;
    };
    const newcomer = { ...env, RELFORGE_GITHUB_TOKEN: '', RELFORGE_GATEWAY_URL: '' };
    const demoNotice =
      "relforge: using the local stack's demo token for demo-maintainer (set RELFORGE_GITHUB_TOKEN to act as yourself)\n";
    const dispatched = await runCli(['dispatch', 'release', '--project', 'hello', '-f', 'version=1.2.3'], newcomer);
    expect(dispatched.stderr).toBe(demoNotice);
    expect(dispatched.stdout).toBe('release hello 1.2.3 is released already (workflow release/hello/1.2.3)\n');
    expect(dispatched.code).toBe(0);
    // Approving asks the stand-in who the token is, too; the example waits for no approval, so it is refused as such.
    const approved = await runCli(['approve', 'hello', '1.2.3', '--digest', '0'.repeat(64)], newcomer);
    expect(approved.stderr).toContain(demoNotice);
    expect(approved.stderr).toContain(
      'relforge: the gateway refused the approval (409, not-awaiting-approval): release hello 1.2.3 is not awaiting approval',
    );
    expect(approved.code).toBe(2);
    const trail = await runCli(['audit', '--actor', 'demo-maintainer', '--json'], env);
    expect(
      trail.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as { operation: string; decision: string; actor: { auth: string } })
        .map(({ operation, decision, actor }) => `${operation} ${decision} ${actor.auth}`),
    ).toEqual(['release accepted github-token', 'approve refused github-token']);
    for (const output of [dispatched, approved, trail]) expect(output.stdout + output.stderr).not.toContain(demoToken);
    // A token of one's own is sent instead (this one the stand-in does not know), and nothing is said of the demo's.
    const own = await runCli(['dispatch', 'release', '--project', 'hello', '-f', 'version=1.2.3'], {
      ...newcomer,
      RELFORGE_GITHUB_TOKEN: `ghp_${'1'.repeat(36)}`,
    });
    expect(own.stderr).toContain('relforge: release refused (401): the forge');
    expect(own.stderr).not.toContain('demo token');
    expect(own.code).toBe(1);
    // Production: a gateway named and no token is refused before anything is sent, the demo token never offered to it.
    for (const command of [
      ['dispatch', 'release', '--project', 'hello', '-f', 'version=1.2.3'],
      ['approve', 'hello', '1.2.3'],
    ]) {
      const named = await runCli(command, {
        ...newcomer,
        RELFORGE_GATEWAY_URL: `http://127.0.0.1:${env.RELFORGE_GATEWAY_PORT}`,
      });
      expect(named.stderr).toMatch(/^relforge: RELFORGE_GITHUB_TOKEN is not set: /);
      expect(named.stderr).toContain('fix: export RELFORGE_GITHUB_TOKEN=<your GitHub token>');
      expect(named.code).toBe(2);
    }

    const again = await runCli(['demo'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('hello 1.2.3 is already released; nothing was changed.');
    expect(again.stdout).toContain('container-repo pullRequest: ');

    const status = await runCli(['status', 'hello', '1.2.3', '--json'], env);
    expect(status.code).toBe(0);
    const reported = JSON.parse(status.stdout) as {
      state: string;
      execution: string;
      stages: { name: string; state: string }[];
    };
    expect(reported.execution).toBe('COMPLETED');
    expect(reported.stages.map((stage) => stage.state)).toEqual(Array(6).fill('succeeded'));
    const list = await runCli(['status'], env);
    expect(list.stdout).toMatch(/^release\/hello\/1\.2\.3 {2}completed {2}succeeded/m);

    const config = join(workspaceRoot(), 'examples', 'hello', 'relforge.yaml');
    const rerun = await runCli(['release', '1.2.3', '--config', config], env);
    expect(rerun.code).toBe(0);
    expect(rerun.stdout).toContain('hello 1.2.3 is already released; nothing was changed.');
    const badVersion = await runCli(['release', 'v1.2.4', '--config', config], env);
    expect(badVersion.code).toBe(2);
    expect(badVersion.stderr).toContain('relforge: ');
    expect(badVersion.stderr).toContain('1.2.4');
    const reasonless = await runCli(['release', '1.2.3', '--config', config, '--rerelease'], env);
    expect(reasonless.code).toBe(2);
    expect(reasonless.stderr).toContain('relforge: --rerelease needs --reason "<why>"');
    const stray = await runCli(['release', '1.2.3', '--config', config, '--reason', 'because'], env);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('relforge: --reason is only for --rerelease');
    const resume = await runCli(['resume', 'hello', '1.2.3'], env);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain('hello 1.2.3 is already released; nothing to resume.');
    const abort = await runCli(['abort', 'hello', '1.2.3', '--reason', 'testing'], env);
    expect(abort.code).toBe(2);
    expect(abort.stderr).toContain('relforge: release hello 1.2.3 is not running (completed)');

    // The worker's config is the one a release runs with: a CLI holding another file is refused before anything runs.
    const edited = join(env.RELFORGE_STATE_DIR, 'relforge.yaml');
    writeFileSync(edited, `${readFileSync(config, 'utf8')}# edited here, not deployed to the worker\n`);
    const mismatch = await runCli(['release', '1.2.4', '--config', edited], env);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toMatch(
      new RegExp(
        `configSha256: the config you released with \\(sha256 [0-9a-f]{64}\\) is not the worker's ${config.replaceAll('.', '\\.')} \\(sha256 [0-9a-f]{64}\\)`,
      ),
    );
    expect(mismatch.stdout).not.toContain('✓ build');
    expect(demo.stdout).toMatch(new RegExp(`^  config: ${config.replaceAll('.', '\\.')}  sha256 [0-9a-f]{64}$`, 'm'));

    const missing = await runCli(['status', 'hello', '9.9.9'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('relforge: no release of hello 9.9.9 in namespace relforge');
  });
});

describe('a release nobody serves', () => {
  it(
    'says within seconds that no worker polls, names the command, and goes on once one does',
    { timeout: 240_000 },
    async () => {
      const env = await stackEnv();
      expect((await runCli(['stack', 'up'], env)).code).toBe(0);
      const state = JSON.parse(readFileSync(join(env.RELFORGE_STATE_DIR, 'stack.json'), 'utf8')) as StackFile & {
        temporal: { namespace: string };
        s3: { bucket: string };
      };
      // The seeds' webhook is made with the stack's credentials, read from its state folder as the CLI reads them.
      vi.stubEnv('RELFORGE_STATE_DIR', env.RELFORGE_STATE_DIR);
      await seedExampleRepositories(state as never);
      vi.unstubAllEnvs();

      // A namespace nobody polls: Temporal lists no poller for its queue at all.
      const unserved = startCli(['release', '7.0.0', '--project', 'hello'], { ...env, RELFORGE_NAMESPACE: 'default' });
      const silent = await until(
        'the no-worker warning',
        async () => (unserved.output().stderr.includes('no worker is polling') ? unserved.output().stderr : undefined),
        15_000,
      );
      expect(silent).toContain(
        `relforge: no worker is polling task queue "relforge" on 127.0.0.1:${env.RELFORGE_TEMPORAL_PORT} (namespace default); the release waits until one does. Start one: \`relforge worker --config <file>\` (locally: \`relforge stack up\`)`,
      );
      unserved.child.kill('SIGINT');
      await unserved.exited;

      // A worker killed outright is still listed as a poller for a while; the untaken task gives it away.
      process.kill(state.worker?.pid ?? 0, 'SIGKILL');
      const config = join(workspaceRoot(), 'examples', 'hello', 'relforge.yaml');
      const release = startCli(['release', '7.0.1', '--config', config], env);
      const stalled = await until(
        'the stalled-task warning',
        async () =>
          /no worker has taken the release's next task for \d+ s/.test(release.output().stderr)
            ? release.output().stderr
            : undefined,
        30_000,
      );
      expect(stalled).toContain('Start one: `relforge worker --config <file>`');
      // Never taken by a worker, it is queued, and the missing worker is named.
      const status = await runCli(['status', 'hello', '7.0.1'], env);
      expect(status.code).toBe(3);
      expect(status.stdout).toContain('hello 7.0.1 is queued since ');
      expect(status.stderr).toMatch(/relforge: no worker has taken the release's next task for \d+ s/);

      // `stack up` starts the stack's worker again; the release that waited goes on and completes.
      expect((await runCli(['stack', 'up'], env)).code).toBe(0);
      const done = await release.exited;
      expect(done.stderr).toContain('relforge: a worker took the release; continuing');
      expect(done.code).toBe(0);
      expect(done.stdout).toMatch(/^released hello 7\.0\.1 from [0-9a-f]{12}$/m);
    },
  );
});

describe('relforge worker', () => {
  it('refuses to start without a config, or for a platform no target uses, naming the fix', async () => {
    const none = await runCli(['worker'], { RELFORGE_PROJECTS: '' });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('relforge: no project config given');
    expect(none.stderr).toContain('fix: pass --config <file>');
    const config = join(workspaceRoot(), 'examples', 'hello', 'relforge.yaml');
    const platform = await runCli(['worker', '--config', config, '--builds', 'sid/riscv64']);
    expect(platform.code).toBe(2);
    expect(platform.stderr).toContain(
      'relforge: --builds sid/riscv64: no target of the configured projects is built for that platform',
    );
    expect(platform.stderr).toContain('bookworm/arm64, bookworm/x86_64, trixie/arm64, trixie/x86_64');
    const halfTls = await runCli(['worker', '--config', config], {
      RELFORGE_TEMPORAL_TLS_CERT: '/etc/relforge/worker.pem',
    });
    expect(halfTls.code).toBe(2);
    expect(halfTls.stderr).toContain(
      'relforge: RELFORGE_TEMPORAL_TLS_CERT is set but RELFORGE_TEMPORAL_TLS_KEY is not',
    );
  });
});
