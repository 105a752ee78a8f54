import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ParleyClient } from '@parley/client';
import { signUp, startTestNode, uuidv7 } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot } from './browser.ts';
import { bodies, createWorkspace, register } from './flows.ts';

/**
 * Search in a real browser against a real node (embedded database): Ada finds a word, sees it
 * marked in the snippet, opens the hit and lands in its room at that message, far back in the
 * history (the history around it loaded, the message in view); a private room she is not in is
 * never searched; a message that looks like HTML is found and shown as text. At a phone's width
 * the search is reached from the menu. `SAVE_SCREENSHOTS=1` refreshes docs/search-*.png.
 */

const chromiumPath = findChromium();
const OLDER = 10;
/** Far more than the pages the room's view loads by itself (50 each, older ones as the top comes into view). */
const NEWER = 250;

const results = (page: Page) => page.getByRole('list', { name: 'Search results' });
const hits = (page: Page) => results(page).getByRole('link');

async function searchFromSidebar(page: Page, words: string) {
  const box = page.getByRole('complementary', { name: 'Workspace' }).getByRole('searchbox', { name: 'Search messages' });
  await box.fill(words);
  await box.press('Enter');
  await page.getByRole('region', { name: 'Search' }).waitFor();
}

/** Types in the search pane's own box; resolves once the hits for it (or "no match") show. */
async function searchHere(page: Page, words: string) {
  await page.getByRole('region', { name: 'Search' }).getByRole('searchbox', { name: 'Search messages' }).fill(words);
  await page.locator('.search-status', { hasText: new RegExp(`newest first|No messages match “${words}”`) }).waitFor();
  await page.waitForFunction(() => !document.querySelector('.search-results-area[aria-busy="true"]'));
}

/** Signs Ada in on a fresh browser (nothing stored: the client knows only what it loads) and opens Acme. */
async function signIn(page: Page, url: string) {
  await page.goto(`${url}/`);
  await page.getByLabel('Username').fill('ada');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: /^Acme/ }).first().click();
}

describe.skipIf(!chromiumPath)('search in the browser (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-search-e2e-'));
  let node: ParleyNode;
  let browser: Browser;
  let ada: Page;
  let bob: ParleyClient;
  let partitionId: string;

  beforeAll(async () => {
    node = await startTestNode({ dataDir });
    browser = await launchChromium(chromiumPath!);
    const first = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await register(first, node.url, 'ada', 'Ada');
    const inviteCode = await createWorkspace(first, 'Acme');
    await first.getByLabel('Message #general').waitFor();
    await first.context().close();

    // Bob is a program on the same node: he writes the history Ada searches.
    const signedUp = await signUp(node.url, 'bob');
    bob = signedUp.client;
    partitionId = (await bob.trpc.partition.join.mutate({ inviteCode })).partition.id;
    const rooms = await bob.trpc.room.list.query({ partitionId });
    const general = rooms.find((r) => r.name === 'general')!.id;
    const secret = await bob.trpc.room.create.mutate({ partitionId, name: 'secret', visibility: 'private' });
    const say = (roomId: string, body: string) => bob.trpc.message.send.mutate({ partitionId, roomId, clientId: uuidv7(), body });
    await say(secret.id, 'the zephyr launch codes');
    for (let i = 0; i < OLDER; i++) await say(general, `old ${i}`);
    await say(general, 'the zephyr needle is here');
    for (let i = 0; i < NEWER; i++) await say(general, `hay ${i}`);
    await say(general, 'kiwi <img src=x onerror="window.__pwned=1"> <b>bold?</b>');
    // Ada comes back on another computer: its client loads only the latest page of #general.
    ada = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await signIn(ada, node.url);
    await ada.locator('.message-body', { hasText: 'kiwi' }).waitFor();
  }, 120_000);
  afterAll(async () => {
    await bob?.close();
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a word is found with its snippet marked; the hit opens the room at that message, far back, with the history around it', async () => {
    await searchFromSidebar(ada, 'needle');
    await hits(ada).first().waitFor();
    expect(await hits(ada).count()).toBe(1);
    const hit = hits(ada).first();
    expect(await hit.locator('.search-snippet').textContent()).toBe('the zephyr needle is here');
    expect(await hit.locator('mark').allTextContents()).toEqual(['needle']);
    await shoot(ada, 'search-desktop.png');

    await hit.click();
    const row = ada.locator('li.message', { has: ada.locator('.message-body', { hasText: 'the zephyr needle is here' }) });
    await row.waitFor();
    // In view and focused (highlighted for a moment), in the room's own history view.
    await ada.waitForFunction(() => document.activeElement?.querySelector('.message-body')?.textContent === 'the zephyr needle is here');
    expect(await row.evaluate((el) => el.classList.contains('highlighted'))).toBe(true);
    const inView = await row.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const scroller = el.closest('.message-scroller')!.getBoundingClientRect();
      return box.top >= scroller.top && box.bottom <= scroller.bottom;
    });
    expect(inView).toBe(true);
    expect(ada.url()).toMatch(/#\/w\/[^/]+\/r\/[^/]+\/m\/[^/]+$/);
    // The history around it: older messages before it and newer after, not the latest.
    const shown = await bodies(ada);
    expect(shown).toContain(`old ${OLDER - 1}`);
    expect(shown).toContain('hay 0');
    expect(shown).not.toContain(`hay ${NEWER - 1}`);
    await ada.getByRole('button', { name: 'Load newer messages' }).waitFor();

    await ada.getByRole('button', { name: 'Jump to latest ↓' }).click();
    await ada.locator('.message-body', { hasText: `hay ${NEWER - 1}` }).waitFor();
    expect(ada.url()).not.toContain('/m/');
  });

  test('a private room Ada is not in is never searched; a message that looks like HTML is found and shown as text', async () => {
    await searchFromSidebar(ada, 'zephyr');
    await hits(ada).first().waitFor();
    expect(await results(ada).locator('.search-snippet').allTextContents()).toEqual(['the zephyr needle is here']);
    await searchHere(ada, 'launch');
    expect(await results(ada).count()).toBe(0);
    await ada.getByText('No messages match “launch”.').waitFor();

    await searchHere(ada, 'kiwi');
    const snippet = results(ada).locator('.search-snippet');
    expect(await snippet.textContent()).toBe('kiwi <img src=x onerror="window.__pwned=1"> <b>bold?</b>');
    expect(await results(ada).locator('img, b').count()).toBe(0);
    expect(await ada.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  test('at a phone’s width: the menu leads to search, and the results fit the screen', async () => {
    const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
    await signIn(phone, node.url);
    await phone.getByRole('button', { name: /^Open sidebar/ }).click();
    await searchFromSidebar(phone, 'zephyr');
    await hits(phone).first().waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot(phone, 'search-phone.png');
    await hits(phone).first().click();
    await phone.locator('li.message', { has: phone.locator('.message-body', { hasText: 'the zephyr needle is here' }) }).waitFor();
    await phone.context().close();
  });
});
