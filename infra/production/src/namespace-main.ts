#!/usr/bin/env node
/**
 * `relforge-temporal-namespace`: registers the namespace (RELFORGE_NAMESPACE,
 * default relforge) and Relforge's search attributes on the server at
 * RELFORGE_TEMPORAL_ADDRESS, over mutual TLS with the RELFORGE_TEMPORAL_TLS_*
 * files a worker uses. Safe to run again.
 */
import { Connection } from '@temporalio/client';
import { InputError } from '@relforge/errors';
import { relforgeSearchAttributes } from '@relforge/temporal-names';
import { connectionTls, type TlsFiles } from './certificates.js';
import { registerRelforgeNamespace } from './namespace.js';
import { exitWith } from './report.js';

const command = 'relforge-temporal-namespace';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new InputError(`${name} is not set`, {
      fix: `set ${name} (see infra/production/systemd/relforge-worker.env.example)`,
    });
  }
  return value;
}

try {
  const address = required('RELFORGE_TEMPORAL_ADDRESS');
  const namespace = process.env['RELFORGE_NAMESPACE'] || 'relforge';
  const serverName = process.env['RELFORGE_TEMPORAL_TLS_SERVER_NAME'];
  const tls: TlsFiles = {
    caFile: required('RELFORGE_TEMPORAL_TLS_CA'),
    certFile: required('RELFORGE_TEMPORAL_TLS_CERT'),
    keyFile: required('RELFORGE_TEMPORAL_TLS_KEY'),
    ...(serverName ? { serverName } : {}),
  };
  const connection = await Connection.connect({ address, tls: connectionTls(tls), connectTimeout: 5_000 });
  try {
    await registerRelforgeNamespace(connection, { namespace });
  } finally {
    await connection.close();
  }
  console.log(
    `${command}: namespace ${namespace} on ${address} has ${relforgeSearchAttributes.map((key) => key.name).join(', ')} (Keyword)`,
  );
} catch (error) {
  exitWith(command, error);
}
