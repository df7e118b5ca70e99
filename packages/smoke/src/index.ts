/** Client-side entry: the smoke workflow's types and signal. Workers load `./workflows` and `./activities`. */
export { proceedSignal, type SmokeInput, type SmokeResult } from './shared.js';
