// Every workflow this worker serves, bundled once at start-up.
export { release, train } from '@relforge/release/workflows';
