/** The train as the worker serves it, beside a stand-in release that ends at once: the train's own logic, fast. */
export { train } from '../../src/workflows/train.js';

export async function release(input: { project: string; version: string }): Promise<{ version: string }> {
  return { version: input.version };
}
