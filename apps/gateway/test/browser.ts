/**
 * A real Chromium for the board's tests: Debian's (infra/chromium/install.sh), found on the PATH and driven by
 * playwright-core, which ships no browser of its own. Missing, it fails the suite saying how to install it.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export function chromiumOnPath(path = process.env['PATH'] ?? ''): string {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder: the next one.
    }
  }
  throw new Error(
    "no chromium on the PATH: the board tests drive a real browser. Fix: `bash infra/chromium/install.sh` (Debian's chromium, /usr/bin/chromium)",
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumOnPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
