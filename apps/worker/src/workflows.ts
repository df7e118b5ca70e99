// Every workflow this worker serves, bundled once at start-up.
export { release } from '@relforge/release/workflows';
