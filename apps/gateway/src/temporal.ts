/**
 * The gateway's one Temporal client, connected on first need and again after a failed attempt: the gateway starts
 * (and answers /healthz) while Temporal is still down, and is ready once a connection proves the namespace.
 */
import type { Client } from '@temporalio/client';
import { connectClient, type ConnectedClient, type TemporalSettings } from '@relforge/temporal-connection';

const fix =
  'start Temporal (locally: `relforge stack up`), or set RELFORGE_TEMPORAL_ADDRESS, RELFORGE_NAMESPACE and RELFORGE_TEMPORAL_TLS_* to your Temporal service';

export class TemporalLink {
  #connected: ConnectedClient | undefined;
  #connecting: Promise<ConnectedClient> | undefined;

  constructor(readonly settings: TemporalSettings) {}

  /** The client, connecting if need be; a failure is a StackError saying where it tried and why. */
  async client(): Promise<Client> {
    if (this.#connected) return this.#connected.client;
    this.#connecting ??= connectClient(this.settings, fix).finally(() => (this.#connecting = undefined));
    this.#connected = await this.#connecting;
    return this.#connected.client;
  }

  /** Reachable now: one cheap call with a short deadline, so /readyz never hangs on a server that went away. */
  async check(): Promise<void> {
    const client = await this.client();
    await client.connection.withDeadline(Date.now() + 3_000, () =>
      client.workflowService.describeNamespace({ namespace: this.settings.namespace }),
    );
  }

  async close(): Promise<void> {
    await this.#connected?.close();
    this.#connected = undefined;
  }
}
