// Debian's Chromium driven by playwright-core. Where it is not installed the browser suites say
// so in their output (describe.skipIf with the reason) instead of passing silently.
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const chromiumMissing = !fs.existsSync(CHROMIUM_PATH);
if (chromiumMissing) {
  console.warn(`[browser tests] NOT RUN: no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'],
  });
}
