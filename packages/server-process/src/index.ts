export { binDir, builtVersion, serverBinary, workspaceRoot, type ServerBinary } from './binaries.js';
export { assertPortFree, freePort, type PortOwner } from './ports.js';
export {
  isAlive,
  startServer,
  stopPid,
  tailOf,
  type ServerProcess,
  type StartServerOptions,
} from './server-process.js';
