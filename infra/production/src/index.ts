export {
  assertCertificate,
  assertCertificateChain,
  connectionTls,
  type PemSetting,
  type TlsFiles,
} from './certificates.js';
export { parseDatabaseUrl, databaseExists, type PostgresServer } from './database.js';
export { registerRelforgeNamespace, type NamespaceOptions } from './namespace.js';
export { certsScript, configDir, schemaScript, serverArgs } from './paths.js';
export { preflight } from './preflight.js';
export {
  startProductionTemporal,
  type ProductionTemporal,
  type ProductionTemporalOptions,
} from './production-temporal.js';
