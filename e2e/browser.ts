import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => Boolean(p));

/** Debian's Chromium (no browser download works here), or null with a loud reason. */
export function findChromium(): string | null {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  const reason = 'Chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH)';
  if (process.env.PARLEY_REQUIRE_SERVICES === '1') throw new Error(`${reason}, and PARLEY_REQUIRE_SERVICES=1 forbids skipping`);
  console.warn(`\n*** SKIPPING browser tests: ${reason} ***\n`);
  return null;
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    // Flags from this machine's notes: no sandbox as root, and no background network calls.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

const DOCS = fileURLToPath(new URL('../docs/', import.meta.url));

/** With `SAVE_SCREENSHOTS=1`, saves the page as `docs/<name>` (the README's pictures); otherwise nothing. */
export async function shoot(page: Page, name: string): Promise<void> {
  if (process.env.SAVE_SCREENSHOTS === '1') await page.screenshot({ path: join(DOCS, name) });
}

/** Resolves once the service worker is ready and controls the page (so a reload offline is served by it). */
export async function waitForServiceWorker(page: Page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise<void>((resolve) => navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true }));
    }
  });
}
