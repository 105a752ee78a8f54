import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ParleyClient } from '@parley/client';
import { signUp, startTestNode, uuidv7 } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot } from './browser.ts';
import { createWorkspace, register, send } from './flows.ts';

/**
 * Unread state and receipts in a real browser against a real node (embedded database): Bob (a
 * program) writes to Ada in a direct message; her sidebar counts it, a reload keeps the count
 * (it is the server's), her second device (another browser context, same account) shows the
 * same, and reading it on one clears it on the other, live. Ada's own message in the direct
 * message turns READ once Bob has read it. `SAVE_SCREENSHOTS=1` refreshes docs/unread-desktop.png.
 */

const chromiumPath = findChromium();

const dmLink = (page: Page) => page.getByRole('navigation', { name: 'Direct messages' }).getByRole('link', { name: /bob/i });
const unreadBadge = (page: Page, n: number) => dmLink(page).locator(`[aria-label="${n} unread"]`);
const anyUnread = (link: ReturnType<typeof dmLink>) => link.locator('[aria-label$=" unread"]');

async function signIn(page: Page, url: string) {
  await page.goto(`${url}/`);
  await page.getByLabel('Username').fill('ada');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: /^Acme/ }).first().click();
  await page.getByLabel('Message #general').waitFor();
}

describe.skipIf(!chromiumPath)('unread and receipts in the browser (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-unread-e2e-'));
  let node: ParleyNode;
  let browser: Browser;
  let laptop: Page;
  let phone: Page;
  let bob: ParleyClient;
  let partitionId: string;
  let dm: string;
  let adaId: string;

  beforeAll(async () => {
    node = await startTestNode({ dataDir });
    browser = await launchChromium(chromiumPath!);
    laptop = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await register(laptop, node.url, 'ada', 'Ada');
    const inviteCode = await createWorkspace(laptop, 'Acme');
    await laptop.getByLabel('Message #general').waitFor();
    // Read before Bob joins: the history above the "New" divider later on.
    await send(laptop, 'morning all');
    await laptop.locator('li.message[data-status="sent"]', { hasText: 'morning all' }).waitFor();

    const signedUp = await signUp(node.url, 'bob');
    bob = signedUp.client;
    partitionId = (await bob.trpc.partition.join.mutate({ inviteCode })).partition.id;
    const members = await bob.trpc.partition.members.query({ partitionId });
    adaId = members.find((m) => m.username === 'ada')!.userId;
    dm = (await bob.trpc.dm.open.mutate({ partitionId, userIds: [adaId] })).id;
  }, 120_000);
  afterAll(async () => {
    await bob?.close();
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a direct message’s unread count survives a reload and is the same on a second device; reading it on one clears the other', async () => {
    for (const body of ['are you there?', 'ping']) await bob.trpc.message.send.mutate({ partitionId, roomId: dm, clientId: uuidv7(), body });
    await new Promise((r) => setTimeout(r, 4000));
    await unreadBadge(laptop, 2).waitFor();

    await laptop.reload();
    await laptop.getByLabel('Message #general').waitFor();
    await unreadBadge(laptop, 2).waitFor();

    phone = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await signIn(phone, node.url);
    await unreadBadge(phone, 2).waitFor();

    await dmLink(phone).click();
    await phone.locator('.message-body', { hasText: 'ping' }).waitFor();
    await expect.poll(() => anyUnread(dmLink(phone)).count()).toBe(0);
    // The laptop hears of it from the server (`read.updated` to Ada's own streams), without a reload.
    await expect.poll(() => anyUnread(dmLink(laptop)).count(), { timeout: 15_000 }).toBe(0);

    // And it stays read after a reload.
    await laptop.reload();
    await laptop.getByLabel('Message #general').waitFor();
    await dmLink(laptop).waitFor();
    expect(await anyUnread(dmLink(laptop)).count()).toBe(0);
  });

  test('Ada’s message in the direct message turns READ once Bob has read it', async () => {
    const composer = phone.getByPlaceholder('Message bob', { exact: true });
    await composer.fill('yes, here');
    await composer.press('Enter');
    const row = phone.locator('li.message', { hasText: 'yes, here' });
    await row.getByRole('img', { name: 'Sent' }).waitFor();

    const page = await bob.trpc.message.list.query({ partitionId, roomId: dm });
    const mine = page.messages.find((m) => m.body === 'yes, here')!;
    await bob.trpc.read.mark.mutate({ partitionId, roomId: dm, eventId: mine.eventId, opId: uuidv7() });
    await row.getByRole('img', { name: 'Read' }).waitFor({ timeout: 15_000 });
  });

  test('a message in #general by Bob is unread until Ada opens it, then “Read by” shows on her reply', async () => {
    // Ada looks at the direct message on her phone (the laptop, which shows #general, is closed); Bob writes in #general.
    await laptop.context().close();
    const general = (await bob.trpc.room.list.query({ partitionId })).find((r) => r.name === 'general')!.id;
    await bob.trpc.message.send.mutate({ partitionId, roomId: general, clientId: uuidv7(), body: 'lunch at noon' });
    const generalLink = phone.getByRole('navigation', { name: 'Rooms' }).getByRole('link', { name: /general/ });
    await generalLink.locator('[aria-label="1 unread"]').waitFor();
    await generalLink.click();
    await phone.locator('.message-body', { hasText: 'lunch at noon' }).waitFor();
    await phone.locator('.new-divider').waitFor();
    await send(phone, 'see you there');
    const row = phone.locator('li.message', { hasText: 'see you there' });
    await row.getByRole('img', { name: 'Sent' }).waitFor();
    const list = await bob.trpc.message.list.query({ partitionId, roomId: general });
    const reply = list.messages.find((m) => m.body === 'see you there')!;
    await bob.trpc.read.mark.mutate({ partitionId, roomId: general, eventId: reply.eventId, opId: uuidv7() });
    await row.getByRole('button', { name: /^Read by bob/i }).waitFor({ timeout: 15_000 });

    // Meanwhile Bob writes in the direct message, once naming Ada: its badges, beside the open room.
    for (const body of [`<@${adaId}> can you look at the deck before noon?`, 'no rush']) {
      await bob.trpc.message.send.mutate({ partitionId, roomId: dm, clientId: uuidv7(), body });
    }
    await unreadBadge(phone, 2).waitFor({ timeout: 15_000 });
    await dmLink(phone).locator('[aria-label="1 mention"]').waitFor();
    await phone.getByRole('button', { name: 'Mark all read' }).waitFor();
    await shoot(phone, 'unread-desktop.png');
  });
});
