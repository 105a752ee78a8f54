import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { startTestNode } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot, waitForServiceWorker } from './browser.ts';
import { bodies, createWorkspace, joinWorkspace, messagesWithStatus, register, send } from './flows.ts';

/**
 * The train: Ada loses the network, writes three messages, reloads the page while still
 * offline (the service worker serves the app, IndexedDB the conversation and the outbox),
 * then the network returns. Bob must see exactly those three, once each, in order, and Ada
 * must see them sent. Screenshots of these screens go to docs/ for the README.
 */

const chromiumPath = findChromium();
// `SAVE_SCREENSHOTS=1 pnpm vitest run e2e/offline-send.e2e.test.ts` refreshes the README's pictures (`shoot`).

describe.skipIf(!chromiumPath)('offline sends survive a reload and arrive once each (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-offline-'));
  let node: ParleyNode;
  let browser: Browser;

  beforeAll(async () => {
    node = await startTestNode({ dataDir });
    browser = await launchChromium(chromiumPath!);
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('A goes offline, sends 3, reloads, comes back: B sees exactly those 3 in order, A sees them sent', async () => {
    const adaContext: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ada = await adaContext.newPage();
    const bob = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();

    await register(ada, node.url, 'ada');
    const inviteCode = await createWorkspace(ada, 'Train');
    await send(ada, 'boarding now');
    await register(bob, node.url, 'bob');
    await joinWorkspace(bob, inviteCode);
    await bob.locator('.message-body', { hasText: 'boarding now' }).waitFor();
    await ada.locator('li.message[data-status="sent"]', { hasText: 'boarding now' }).waitFor();
    await ada.getByText('Live', { exact: true }).waitFor();
    await waitForServiceWorker(ada);
    // Let the debounced writes of the query cache and the message store reach IndexedDB.
    await ada.waitForTimeout(1500);

    await adaContext.setOffline(true);
    await ada.getByText(/You are offline/).waitFor();
    for (const body of ['one', 'two', 'three']) await send(ada, body);
    await ada.getByText('3 messages waiting to be sent', { exact: false }).waitFor();
    expect((await messagesWithStatus(ada)).slice(-3)).toEqual([
      ['one', 'queued'],
      ['two', 'queued'],
      ['three', 'queued'],
    ]);
    await shoot(ada, 'offline-queued.png');

    // Reload with no network: the app, the conversation and the queue come from the device.
    await ada.reload();
    await ada.getByText(/You are offline/).waitFor({ timeout: 15_000 });
    await ada.locator('li.message', { hasText: 'three' }).waitFor({ timeout: 15_000 });
    expect(await messagesWithStatus(ada)).toEqual([
      ['boarding now', 'sent'],
      ['one', 'queued'],
      ['two', 'queued'],
      ['three', 'queued'],
    ]);
    expect(await bodies(bob)).toEqual(['boarding now']);

    await adaContext.setOffline(false);
    await bob.locator('.message-body', { hasText: 'three' }).waitFor({ timeout: 30_000 });
    await ada.locator('li.message[data-status="sent"]', { hasText: 'three' }).waitFor({ timeout: 30_000 });
    // Long enough for a duplicate or a straggler to show up if there were one.
    await bob.waitForTimeout(1000);
    expect(await bodies(bob)).toEqual(['boarding now', 'one', 'two', 'three']);
    expect(await messagesWithStatus(ada)).toEqual([
      ['boarding now', 'sent'],
      ['one', 'sent'],
      ['two', 'sent'],
      ['three', 'sent'],
    ]);
    await ada.getByText('Live', { exact: true }).waitFor();
    expect(await ada.getByText(/waiting to be sent/).count()).toBe(0);
    await shoot(ada, 'chat-desktop.png');
    await shoot(bob, 'chat-phone.png');
  });
});
