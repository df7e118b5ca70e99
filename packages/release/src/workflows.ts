/** The workflows a release worker registers: the release (workflows/release.ts) and the train (workflows/train.ts). */
export { release } from './workflows/release.js';
export { train } from './workflows/train.js';
