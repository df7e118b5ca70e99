export { assertCertificate, assertCertificateChain, type PemSetting } from './certificates.js';
export { parseDatabaseUrl, databaseExists, type PostgresServer } from './database.js';
export { registerRelforgeNamespace, type NamespaceOptions } from './namespace.js';
export { certsScript, configDir, schemaScript, serverArgs } from './paths.js';
export { preflight } from './preflight.js';
export {
  startProductionTemporal,
  type ProductionTemporal,
  type ProductionTemporalOptions,
  type TlsFiles,
} from './production-temporal.js';
