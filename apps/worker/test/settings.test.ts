import { join } from 'node:path';
import { exampleDir } from '@relforge/testkit';
import { describe, expect, it } from 'vitest';
import { InputError } from '@relforge/errors';
import { workerSettings } from '../src/settings.js';

const config = join(exampleDir(), 'relforge.yaml');

describe('the worker settings for release events', () => {
  it('log to the NATS server the flag or RELFORGE_NATS_URL names, the flag first', async () => {
    const fromEnv = await workerSettings({ config: [config] }, { RELFORGE_NATS_URL: 'nats://127.0.0.1:7222' });
    expect(fromEnv.events).toEqual({ url: 'nats://127.0.0.1:7222' });
    const bare = await workerSettings({ config: [config] }, { RELFORGE_NATS_URL: 'nats.internal:4333' });
    expect(bare.events).toEqual({ url: 'nats://nats.internal:4333' });
    const flag = await workerSettings(
      { config: [config], natsUrl: 'tls://events.example:4222' },
      { RELFORGE_NATS_URL: 'nats://127.0.0.1:7222' },
    );
    expect(flag.events).toEqual({ url: 'tls://events.example:4222' });
  });

  it('log no events when neither is set', async () => {
    expect((await workerSettings({ config: [config] }, {})).events).toBeUndefined();
    expect((await workerSettings({ config: [config] }, { RELFORGE_NATS_URL: '' })).events).toBeUndefined();
  });

  it('refuse an address that is not a NATS server, naming the variable and the form it takes', async () => {
    const refused = workerSettings({ config: [config] }, { RELFORGE_NATS_URL: 'http://127.0.0.1:8222/varz' });
    await expect(refused).rejects.toThrow(InputError);
    await expect(refused).rejects.toThrow(
      'RELFORGE_NATS_URL=http://127.0.0.1:8222/varz is not the address of a NATS server',
    );
    const flag = workerSettings({ config: [config], natsUrl: 'nats://' }, {});
    await expect(flag).rejects.toThrow('--nats-url=nats:// is not the address of a NATS server');
    await expect(flag).rejects.toMatchObject({ fix: expect.stringContaining('give it as nats://host:port') });
  });
});
