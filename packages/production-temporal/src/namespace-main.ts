#!/usr/bin/env node
/**
 * `relforge-temporal-namespace`: registers the namespace (RELFORGE_NAMESPACE,
 * default relforge) and Relforge's search attributes on the server at
 * RELFORGE_TEMPORAL_ADDRESS, connecting as a worker does (RELFORGE_TEMPORAL_TLS_*).
 * Safe to run again.
 */
import { relforgeSearchAttributes } from '@relforge/temporal-names';
import { connectTemporal, temporalSettingsFromEnv } from '@relforge/temporal-connection';
import { registerRelforgeNamespace } from './namespace.js';
import { exitWith } from './report.js';

const command = 'relforge-temporal-namespace';
try {
  const settings = temporalSettingsFromEnv(process.env);
  const connection = await connectTemporal(
    settings,
    'start the server (systemctl start temporal-server) or correct RELFORGE_TEMPORAL_ADDRESS',
  );
  try {
    await registerRelforgeNamespace(connection, { namespace: settings.namespace });
  } finally {
    await connection.close();
  }
  const names = relforgeSearchAttributes.map((key) => key.name).join(', ');
  console.log(`${command}: namespace ${settings.namespace} on ${settings.address} has ${names} (Keyword)`);
} catch (error) {
  exitWith(command, error);
}
