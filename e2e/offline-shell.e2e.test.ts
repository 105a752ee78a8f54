import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestNode } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, waitForServiceWorker } from './browser.ts';
import { createWorkspace, register } from './flows.ts';

/**
 * The app shell (service worker) and the last session's query cache (IndexedDB) open Parley
 * with no network at all: the browser is offline and the server is stopped, so nothing on
 * screen can have come from it.
 */

const chromiumPath = findChromium();
const SW_JS = fileURLToPath(new URL('../apps/web/dist/sw.js', import.meta.url));

/**
 * The saved query cache as text (src/offline/query-persistence.ts: database `parley-web`,
 * store `query-cache`, key `session`), or null. Read only once the app has opened the
 * database: opening it first would create it without its store.
 */
function savedCache(page: Page): Promise<string | null> {
  return page.evaluate(
    () =>
      new Promise<string | null>((resolve, reject) => {
        const open = indexedDB.open('parley-web');
        open.onerror = () => reject(open.error ?? new Error('indexedDB.open failed'));
        open.onsuccess = () => {
          const db = open.result;
          const get = db.transaction('query-cache').objectStore('query-cache').get('session');
          get.onerror = () => reject(get.error ?? new Error('get failed'));
          get.onsuccess = () => {
            db.close();
            resolve(typeof get.result === 'string' ? get.result : null);
          };
        };
      }),
  );
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!chromiumPath)('opening Parley offline after one visit (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-offline-shell-'));
  let node: ParleyNode | undefined;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(SW_JS)) throw new Error('apps/web/dist/sw.js is missing: run `pnpm build` first (`pnpm test` does).');
    node = await startTestNode({ dataDir });
    browser = await launchChromium(chromiumPath!);
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the workspace and its rooms show with no network; after signing out, nothing of them does', async () => {
    const sw = await fetch(`${node!.url}/sw.js`);
    expect(sw.status).toBe(200);
    expect(sw.headers.get('cache-control')).toBe('no-cache');

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const rooms = page.getByRole('navigation', { name: 'Rooms' });
    const workspaceName = () => page.getByRole('combobox', { name: 'Workspace' }).locator('option:checked').textContent();

    await register(page, node!.url, 'carol');
    await createWorkspace(page, 'Harbour');
    await rooms.getByText('# general').waitFor();
    await page.reload();
    await rooms.getByText('# general').waitFor();
    await waitForServiceWorker(page);
    // Saved at most once a second: wait for the workspace and its rooms to be in it.
    await until(async () => {
      const saved = (await savedCache(page)) ?? '';
      return saved.includes('"name":"Harbour"') && saved.includes('"name":"general"');
    }, 'the workspace and its rooms to be saved');

    // No server, and no network either. (Stopped first: an offline page cannot answer the
    // WebSocket's closing handshake, which the server would wait 30 s for.)
    const port = node!.port;
    await node!.close();
    node = undefined;
    await context.setOffline(true);
    await page.reload();
    await rooms.getByText('# general').waitFor();
    expect(await workspaceName()).toBe('Harbour');
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);

    // Back online: sign out. The saved cache goes with the session.
    node = await startTestNode({ dataDir, port });
    await context.setOffline(false);
    await page.reload();
    await rooms.getByText('# general').waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await until(async () => (await savedCache(page)) === null, 'the saved cache to be deleted');

    await node.close();
    node = undefined;
    await context.setOffline(true);
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'Loading Parley…' }).waitFor();
    await page.waitForTimeout(500);
    expect(await page.getByText('Harbour').count()).toBe(0);
    expect(await rooms.count()).toBe(0);
    await context.close();
  });
});
