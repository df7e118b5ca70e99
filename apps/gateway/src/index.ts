import { fileURLToPath } from 'node:url';

export { buildGateway, type GatewayDeps } from './server.js';
export { defaultListen, GatewaySettings, gatewaySettings, readWebhookSecret } from './settings.js';

/** The gateway's process entry, for commands and tests that start one (`relforge stack up`). */
export const gatewayMain = fileURLToPath(new URL('./main.js', import.meta.url));
