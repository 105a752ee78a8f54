import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ParleyClient } from '@parley/client';
import { signUp, startTestNode, uuidv7 } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot } from './browser.ts';
import { createWorkspace, joinWorkspace, register, send } from './flows.ts';

/**
 * Mentions and notifications in real browsers against a real node (embedded database): Ada
 * mentions Bob through the composer's autocomplete; Bob's page is open but away (another tab:
 * emulated, the page reports itself hidden and unfocused), notifications allowed, and his
 * service worker shows one that links to the message. Once he mutes the room, a mention raises
 * none. `SAVE_SCREENSHOTS=1` refreshes docs/mentions-desktop.png and docs/notify-menu.png.
 */

const chromiumPath = findChromium();

interface Shown {
  title: string;
  body: string;
  tag: string;
  url: string;
}

/** The notifications Bob's service worker is showing. */
const shownNotifications = (page: Page) =>
  page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    const list = await registration.getNotifications();
    return list.map((n) => ({ title: n.title, body: n.body, tag: n.tag, url: (n.data as { url: string }).url }));
  }) as Promise<Shown[]>;

async function waitForNotifications(page: Page, n: number, timeoutMs = 15_000): Promise<Shown[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await shownNotifications(page);
    if (shown.length >= n || Date.now() > deadline) return shown;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!chromiumPath)('mentions and notifications in the browser (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-mentions-e2e-'));
  let node: ParleyNode;
  let browser: Browser;
  let ada: Page;
  let bob: Page;
  let grace: ParleyClient;
  let partitionId: string;

  beforeAll(async () => {
    node = await startTestNode({ dataDir });
    browser = await launchChromium(chromiumPath!);
    ada = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await register(ada, node.url, 'ada', 'Ada');
    const inviteCode = await createWorkspace(ada, 'Acme');
    await ada.getByLabel('Message #general').waitFor();

    const bobContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await bobContext.grantPermissions(['notifications'], { origin: node.url });
    bob = await bobContext.newPage();
    // Bob is in another tab: this one is hidden and has no focus.
    await bob.addInitScript(() => {
      Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { get: () => true });
      document.hasFocus = () => false;
    });
    await register(bob, node.url, 'bob', 'Bob');
    await joinWorkspace(bob, inviteCode);
    await bob.getByLabel('Message #general').waitFor();
    await bob.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    expect(await bob.evaluate(() => Notification.permission)).toBe('granted');
    // A third member (a program), so the autocomplete has people to choose from.
    grace = (await signUp(node.url, 'grace')).client;
    partitionId = (await grace.trpc.partition.join.mutate({ inviteCode })).partition.id;
    await grace.trpc.profile.update.mutate({ displayName: 'Grace Hopper', opId: uuidv7() });
  }, 120_000);
  afterAll(async () => {
    await grace?.close();
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the autocomplete inserts a mention; the mentioned person, away, gets a notification that opens the message', async () => {
    const composer = ada.getByLabel('Message #general');
    await composer.click();
    await composer.pressSequentially('Standup in 5, @bo');
    const option = ada.getByRole('option', { name: '@Bob' });
    await option.waitFor();
    await composer.press('Enter');
    await expect.poll(() => composer.inputValue()).toBe('Standup in 5, @Bob ');
    await composer.pressSequentially('please');
    await composer.press('Enter');

    // Ada sees a chip; the stored text is the token (Bob is not named by his name in it).
    const chip = ada.locator('li.message .mention', { hasText: '@Bob' });
    await chip.waitFor();
    // Bob sees his own mention highlighted.
    await bob.locator('li.message.mentions-me .mention.mention-me', { hasText: '@Bob' }).waitFor();

    const shown = await waitForNotifications(bob, 1);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatchObject({ title: 'Ada in #general', body: 'Standup in 5, @Bob please' });
    const messageId = await bob.locator('li.message.mentions-me').getAttribute('data-message-id');
    expect(shown[0]!.url).toMatch(new RegExp(`/#/w/[^/]+/r/[^/]+/m/${messageId}$`));
    // A message that does not mention him, in a room at its default level (mentions): nothing more.
    await send(ada, 'lunch?');
    await bob.locator('.message-body', { hasText: 'lunch?' }).waitFor();
    await new Promise((r) => setTimeout(r, 1000));
    expect(await shownNotifications(bob)).toHaveLength(1);
  });

  test('muted, a room raises no notification, even for a mention', async () => {
    await bob.evaluate(async () => {
      for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
    });
    await bob.getByRole('button', { name: /Mentions/ }).click();
    const saved = bob.waitForResponse((r) => r.url().includes('notify.set') && r.ok());
    await bob.getByRole('radio', { name: 'Nothing (mute)' }).check();
    await saved;
    await shoot(bob, 'notify-menu.png');
    await bob.getByRole('button', { name: /Muted/ }).waitFor();

    // Grace writes meanwhile (nothing for Bob: the room is muted).
    const general = (await grace.trpc.room.list.query({ partitionId })).find((r) => r.name === 'general')!.id;
    for (const body of ['on my way', 'bringing notes']) {
      await grace.trpc.message.send.mutate({ partitionId, roomId: general, clientId: uuidv7(), body });
    }
    await ada.locator('.message-body', { hasText: 'bringing notes' }).waitFor();

    const composer = ada.getByLabel('Message #general');
    // "@" alone suggests the room's members (not Ada herself) and @room.
    await composer.pressSequentially('@');
    await ada.getByRole('option', { name: '@Grace Hopper' }).waitFor();
    await ada.getByRole('option', { name: /@room/ }).waitFor();
    await shoot(ada, 'mentions-desktop.png');
    await composer.pressSequentially('bo');
    await ada.getByRole('option', { name: '@Bob' }).waitFor();
    await expect.poll(() => ada.getByRole('listbox', { name: 'People to mention' }).getByRole('option').count()).toBe(1);
    await composer.press('Tab');
    await composer.pressSequentially('are you there?');
    await composer.press('Enter');
    await bob.locator('.message-body', { hasText: 'are you there?' }).waitFor();
    await new Promise((r) => setTimeout(r, 1500));
    expect(await shownNotifications(bob)).toEqual([]);
  });
});
