export { assertCertificate, assertCertificateChain, type PemSetting } from './certificates.js';
export { parseDatabaseUrl, type PostgresServer } from './database.js';
export { registerRelforgeNamespace, type NamespaceOptions } from './namespace.js';
export { certsScript, configDir, namespaceMain, preflightMain, schemaScript, serverArgs } from './paths.js';
export { preflight } from './preflight.js';
export {
  startProductionTemporal,
  type ProductionTemporal,
  type ProductionTemporalOptions,
  type TlsFiles,
} from './production-temporal.js';
