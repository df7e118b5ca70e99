// Every workflow this worker serves, bundled once at start-up.
export { smoke } from '@relforge/smoke/workflows';
export { release } from '@relforge/release/workflows';
