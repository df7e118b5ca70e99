export { binDir, builtVersion, serverBinary, stateDir, workspaceRoot, type ServerBinary } from './paths.js';
export { assertPortFree, freePort, type PortOwner } from './ports.js';
export {
  isAlive,
  startServer,
  stopPid,
  tailOf,
  type ServerProcess,
  type StartServerOptions,
} from './server-process.js';
export { jetStreamAnswers, startNatsServer, type NatsEndpoint, type StartNatsOptions } from './nats-server.js';
export { ensureBucket, s3Client, startS3Server, type S3Endpoint, type StartS3Options } from './s3-server.js';
export {
  namespaceIsServed,
  searchAttributeArgs,
  startTemporalServer,
  type StartTemporalOptions,
  type TemporalEndpoint,
} from './temporal-server.js';
