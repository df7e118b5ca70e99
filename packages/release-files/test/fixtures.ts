import { readFileSync } from 'node:fs';

/** A checked-in fixture, read as the exact bytes a repository would hold. */
export function fixture(path: string): string {
  return readFileSync(new URL(`fixtures/${path}`, import.meta.url), 'utf8');
}
