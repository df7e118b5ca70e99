import { fileURLToPath } from 'node:url';

export { buildGateway, type GatewayDeps } from './server.js';
export { defaultListen, GatewaySettings, gatewaySettings, readWebhookSecret } from './settings.js';

/**
 * The gateway's process entry, for commands and tests that start one (`relforge stack up`): always the built file, a
 * sibling when this module runs from dist/, and still that file when tests load it from src/.
 */
export const gatewayMain = fileURLToPath(new URL('../dist/main.js', import.meta.url));
