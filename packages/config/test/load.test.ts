import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InputError } from '@relforge/errors';
import {
  durationMilliseconds,
  eventTypeMatches,
  loadProjectConfig,
  parseProjectConfig,
  stagesToRun,
} from '../src/index.js';

const corpus = join(import.meta.dirname, 'corpus');
const dir = mkdtempSync(join(tmpdir(), 'relforge-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loading a release config', () => {
  it('keeps a config that spells out every field exactly as written', async () => {
    const file = join(corpus, 'good-full.yaml');
    expect(await loadProjectConfig(file)).toEqual(parseYaml(readFileSync(file, 'utf8')));
  });

  it('fills in the defaults of everything a minimal config leaves out', async () => {
    expect(await loadProjectConfig(join(corpus, 'good-minimal.yaml'))).toEqual({
      project: 'hello',
      source: { repository: 'example/hello', ref: 'main' },
      stages: ['build', 'checksum', 'publish'],
      build: {
        command: 'make dist',
        timeout: '30m',
        matrix: [{ distro: 'debian', arch: ['x86_64'] }],
        sourceTarball: true,
      },
      forge: { apiUrl: 'https://api.github.com', auth: { token: { env: 'GITHUB_TOKEN' } } },
      publish: {
        s3: {
          bucket: 'hello-releases',
          prefix: 'releases/',
          stagingPrefix: 'relforge-staging/',
          region: 'us-east-1',
          forcePathStyle: false,
          publicBaseUrl: 'https://downloads.example.com',
          publicRead: true,
        },
        release: { repository: 'example/hello', tag: '{version}', name: '{project} {version}' },
      },
    });
  });

  it('reads JSON to the same config as the equivalent YAML', async () => {
    const { $schema, ...fromJson } = await loadProjectConfig(join(corpus, 'good-minimal.json'));
    expect($schema).toBe('../../relforge.schema.json');
    expect(fromJson).toEqual(await loadProjectConfig(join(corpus, 'good-minimal.yaml')));
  });

  it('accepts the .yml extension, in any case', async () => {
    const file = join(dir, 'relforge.YML');
    writeFileSync(file, readFileSync(join(corpus, 'good-minimal.yaml')));
    expect((await loadProjectConfig(file)).project).toBe('hello');
  });

  it('says so when the path is a directory', async () => {
    const folder = join(dir, 'config.yaml');
    mkdirSync(folder);
    await expect(loadProjectConfig(folder)).rejects.toThrow(
      new InputError(`${folder}: is a directory`, {
        fix: 'give the path of the config file itself, e.g. relforge.yaml in that directory',
      }),
    );
  });

  it('names the source it was given when refusing a config parsed elsewhere', () => {
    expect(() => parseProjectConfig({ project: 'hello' }, '--config-json')).toThrow(
      /^--config-json: invalid release config\n {2}source: required\n/,
    );
  });
});

describe('webhook receivers', () => {
  it('receive every event, as patches, on the production retry schedule unless told otherwise', () => {
    const minimal = parseYaml(readFileSync(join(corpus, 'good-minimal.yaml'), 'utf8')) as object;
    const receiver = { name: 'chat', url: 'https://hooks.example.com/relforge', secret: { env: 'CHAT_SECRET' } };
    const config = parseProjectConfig({ ...minimal, notify: { webhooks: [receiver] } }, 'test');
    expect(config.notify?.webhooks).toEqual([
      {
        ...receiver,
        events: ['dev.relforge.*.*.v1'],
        mode: 'patch',
        timeoutSeconds: 15,
        schedule: ['5s', '5m', '30m', '2h', '5h', '10h', '10h'],
      },
    ]);
  });

  it('match event types part by part, * standing for one part, and a last * for the rest', () => {
    expect(eventTypeMatches('dev.relforge.stage.*.v1', 'dev.relforge.stage.failed.v1')).toBe(true);
    expect(eventTypeMatches('dev.relforge.stage.*.v1', 'dev.relforge.release.failed.v1')).toBe(false);
    expect(eventTypeMatches('dev.relforge.*.v1', 'dev.relforge.stage.failed.v1')).toBe(false);
    expect(eventTypeMatches('dev.relforge.train.*', 'dev.relforge.train.open.v1')).toBe(true);
    expect(eventTypeMatches('dev.relforge.train.*', 'dev.relforge.train-step.released.v1')).toBe(false);
    expect(eventTypeMatches('dev.relforge.train.*', 'dev.relforge.train')).toBe(false);
  });

  it("accept the train's event types, a last * included, and refuse a state no train has", () => {
    const minimal = parseYaml(readFileSync(join(corpus, 'good-minimal.yaml'), 'utf8')) as object;
    const receiver = (events: string[]) => ({
      notify: { webhooks: [{ name: 'chat', url: 'https://hooks.example.com/r', secret: { env: 'S' }, events }] },
    });
    const events = ['dev.relforge.train.*', 'dev.relforge.train-step.released.v1', 'dev.relforge.train-step.*.v1'];
    expect(parseProjectConfig({ ...minimal, ...receiver(events) }, 'test').notify?.webhooks[0]?.events).toEqual(events);
    expect(() => parseProjectConfig({ ...minimal, ...receiver(['dev.relforge.train.closed.v1']) }, 'test')).toThrow(
      'notify.webhooks[0].events[0]: matches no event type',
    );
  });

  it('read retry delays as Temporal does', () => {
    expect(['5s', '5m', '2h', '1 hour', '250ms', '1.5 minutes'].map(durationMilliseconds)).toEqual([
      5_000, 300_000, 7_200_000, 3_600_000, 250, 90_000,
    ]);
  });
});

describe('the stages a release runs', () => {
  it('are every stage when the config lists none', async () => {
    const full = await loadProjectConfig(join(corpus, 'good-full.yaml'));
    expect(stagesToRun({ ...full, stages: undefined })).toEqual([
      'build',
      'checksum',
      'publish',
      'checksum-repo',
      'container-repo',
      'website',
    ]);
  });

  it('are the listed ones when the config lists them', async () => {
    expect(stagesToRun(await loadProjectConfig(join(corpus, 'good-minimal.yaml')))).toEqual([
      'build',
      'checksum',
      'publish',
    ]);
  });
});

describe('addresses from the environment', () => {
  const file = join(dir, 'expand.yaml');
  writeFileSync(
    file,
    readFileSync(join(corpus, 'good-minimal.yaml'), 'utf8')
      .replace(
        '    publicBaseUrl: https://downloads.example.com',
        '    endpoint: http://127.0.0.1:${S3_PORT:-7070}\n    publicBaseUrl: http://127.0.0.1:${S3_PORT:-7070}/releases',
      )
      .replace('forge:\n', 'forge:\n  apiUrl: ${GITHUB_API}\n'),
  );

  it('fills ${VAR} and ${VAR:-default} in address fields from the environment', async () => {
    const config = await loadProjectConfig(file, { S3_PORT: '9100', GITHUB_API: 'http://127.0.0.1:7080' });
    expect(config.publish.s3.endpoint).toBe('http://127.0.0.1:9100');
    expect(config.publish.s3.publicBaseUrl).toBe('http://127.0.0.1:9100/releases');
    expect(config.forge.apiUrl).toBe('http://127.0.0.1:7080');
    const defaults = await loadProjectConfig(file, { GITHUB_API: 'https://api.github.com' });
    expect(defaults.publish.s3.endpoint).toBe('http://127.0.0.1:7070');
  });

  it('leaves ${VAR} alone outside address fields, where it would put a value into workflow history', async () => {
    writeFileSync(
      join(dir, 'other.yaml'),
      readFileSync(file, 'utf8').replace('command: make dist', 'command: make dist TOKEN=${GITHUB_API}'),
    );
    const config = await loadProjectConfig(join(dir, 'other.yaml'), { GITHUB_API: 'http://127.0.0.1:7080' });
    expect(config.build.command).toBe('make dist TOKEN=${GITHUB_API}');
  });

  it('refuses an address whose variable brings a credential, quoting neither', async () => {
    const token = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';
    const refused = await loadProjectConfig(file, {
      S3_PORT: `1@x`,
      GITHUB_API: `https://bot:${token}@ghe.example.com`,
    }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(InputError);
    const { message, fix } = refused as InputError;
    expect(message.split('\n').slice(1)).toEqual([
      '  forge.apiUrl: must not carry a user name or password ("user:token@"), which the release\'s history would keep; remove it and name the credential in forge.auth',
      '  publish.s3.endpoint: must not carry a user name or password ("user:token@"), which the release\'s history would keep; remove it and name the keys in publish.s3.credentials',
      '  publish.s3.publicBaseUrl: must not carry a user name or password ("user:token@"), which the release\'s history would keep; remove it and let the files be downloaded without one',
    ]);
    expect(`${message}${fix}`).not.toContain(token);
    expect(`${message}${fix}`).not.toContain('bot');
  });
});
