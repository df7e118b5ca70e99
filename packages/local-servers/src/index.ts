export { stateDir } from './paths.js';
// The machinery every server runs on, production's included; re-exported so the stack and the tests name one package.
export {
  assertPortFree,
  binDir,
  builtVersion,
  freePort,
  isAlive,
  serverBinary,
  startServer,
  stopPid,
  tailOf,
  workspaceRoot,
  type PortOwner,
  type ServerBinary,
  type ServerProcess,
  type StartServerOptions,
} from '@relforge/server-process';
export { jetStreamAnswers, startNatsServer, type NatsEndpoint, type StartNatsOptions } from './nats-server.js';
export { ensureBucket, s3Client, startS3Server, type S3Endpoint, type StartS3Options } from './s3-server.js';
export {
  namespaceIsServed,
  searchAttributeArgs,
  startTemporalServer,
  type StartTemporalOptions,
  type TemporalEndpoint,
} from './temporal-server.js';
