import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { parsePartitionId, pt } from '@parley/db';
import { connect, startTestNode, uuidv7 } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot, waitForServiceWorker } from './browser.ts';
import {
  createWorkspace,
  deleteForEveryone,
  editMessage,
  hoverToolbar,
  joinWorkspace,
  longPress,
  messageRow,
  openRoom,
  reactionChip,
  reactTo,
  register,
  rowById,
  savedOnDevice,
  send,
  sentMessageId,
} from './flows.ts';

/**
 * Issue 9 in two real browsers against a real node (embedded database): editing within the
 * 5-minute window and after it, deleting for everyone, reacting by long press on a phone,
 * jumping from a reply to an original far back in history, and reactions, edits and deletions
 * made offline (through a reload) arriving exactly once. Each test has its own workspace and
 * people. `SAVE_SCREENSHOTS=1` refreshes docs/message-actions-desktop.png and
 * docs/message-actions-phone.png.
 */

const chromiumPath = findChromium();
const PASSWORD = 'correct horse battery';
const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

/** The text a message row shows as its body, marks such as "(edited)" included. */
const shownBody = async (page: Page, messageId: string) => ((await rowById(page, messageId).locator('.message-body').textContent()) ?? '').trim();

describe.skipIf(!chromiumPath)('message actions between two browsers (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-conversations-'));
  let node: ParleyNode;
  let browser: Browser;
  let contexts: BrowserContext[] = [];

  beforeAll(async () => {
    node = await startTestNode({ dataDir, nodeId: 'conversations-node' });
    browser = await launchChromium(chromiumPath!);
  });
  afterEach(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    contexts = [];
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function newContext(options: BrowserContextOptions = DESKTOP) {
    const context = await browser.newContext(options);
    contexts.push(context);
    return context;
  }

  /** Ada creates a workspace (named `workspace`), Bob joins it; both look at #general. */
  async function twoPeople(tag: string, workspace: string, { ada: adaOptions = DESKTOP, bob: bobOptions = DESKTOP, installClock = false } = {}) {
    const adaContext = await newContext(adaOptions);
    // The page's clock, to move Date.now() forward later (time keeps flowing as usual).
    if (installClock) await adaContext.clock.install();
    const ada = await adaContext.newPage();
    const bobContext = await newContext(bobOptions);
    const bob = await bobContext.newPage();
    await register(ada, node.url, `ada_${tag}`, 'Ada');
    const inviteCode = await createWorkspace(ada, workspace);
    await register(bob, node.url, `bob_${tag}`, 'Bob');
    await joinWorkspace(bob, inviteCode);
    await bob.getByLabel('Message #general').waitFor();
    await ada.getByLabel('Message #general').waitFor();
    return { ada, adaContext, bob, bobContext, ...openRoom(ada) };
  }

  /** A person's Parley client over the API (a bearer token from `auth.login`). */
  async function apiAs(username: string) {
    const anon = connect(node.url);
    const { token } = await anon.trpc.auth.login.mutate({ username, password: PASSWORD, session: 'token' });
    await anon.close();
    return connect(node.url, token);
  }

  /** Makes a message `minutes` old on the database's clock (the server's edit window is 5 minutes). */
  async function ageMessage(partitionId: string, messageId: string, minutes = 6) {
    const result = await node.deps.db
      .updateTable(pt(parsePartitionId(partitionId), 'messages'))
      // now() - make_interval(mins => minutes), on the database's clock.
      .set((eb) => ({
        created_at: eb(
          eb.fn('now'),
          '-',
          eb.fn(
            'make_interval',
            [0, 0, 0, 0, 0, minutes].map((n) => eb.lit(n)),
          ),
        ).$castTo<string>(),
      }))
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow();
    expect(result.numUpdatedRows).toBe(1n);
  }

  test('edit within the window is seen live with "(edited)"; after 5 minutes Edit is gone, and an edit that reaches the server too late shows its refusal', async () => {
    const { ada, adaContext, bob, partitionId } = await twoPeople('edit', 'Edits', { installClock: true });
    await send(ada, 'see you at 5');
    await send(ada, 'bring the slides');
    const first = await sentMessageId(ada, 'see you at 5');
    const second = await sentMessageId(ada, 'bring the slides');
    await rowById(bob, second).waitFor();

    // Within the window: the toolbar's Edit, in place; Bob's page follows without a reload.
    await editMessage(messageRow(ada, 'see you at 5'), 'see you at 6');
    await rowById(bob, first)
      .locator('.message-body', { hasText: /^see you at 6\s*\(edited\)$/ })
      .waitFor();
    await rowById(ada, first).locator('.edited-mark').waitFor();
    await rowById(ada, first).getByText('saving…').waitFor({ state: 'detached' });

    // An edit made offline within the window, that reaches the server after it: refused, on that message.
    await ada.getByText('Live', { exact: true }).waitFor();
    await adaContext.setOffline(true);
    await ada.getByText(/You are offline/).waitFor();
    await editMessage(rowById(ada, second), 'bring the slides and the demo');
    await rowById(ada, second).getByText('saving…').waitFor();
    await ageMessage(partitionId, second);
    await adaContext.setOffline(false);
    await rowById(ada, second)
      .getByRole('alert')
      .filter({ hasText: /Messages can be edited for 5 minutes after sending; the time to edit this one ended at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./ })
      .waitFor({ timeout: 30_000 });
    // The refused change is no longer shown as made: the server's text is back.
    await expect.poll(() => shownBody(ada, second)).toBe('bring the slides');
    expect(await shownBody(bob, second)).toBe('bring the slides');

    // The window ends while the toolbar is open: its Edit goes (the countdown ticks each second).
    await ageMessage(partitionId, first);
    const toolbar = await hoverToolbar(rowById(ada, first));
    await toolbar.getByRole('button', { name: /^Edit \(\d:\d\d left\)$/ }).waitFor();
    await ada.clock.setSystemTime(Date.now() + 6 * 60_000);
    await toolbar.getByRole('button', { name: /^Edit/ }).waitFor({ state: 'detached' });
    expect(await toolbar.getByRole('button').allTextContents()).toEqual(['React', 'Reply', 'Pin', 'Delete for everyone', 'Delete for me']);
    expect(await shownBody(bob, first)).toBe('see you at 6 (edited)');
  });

  test('delete for everyone, after the confirmation, shows the tombstone on the other page live', async () => {
    const { ada, bob } = await twoPeople('delete', 'Deletes');
    await send(ada, 'the wifi password is hunter2');
    await send(ada, 'ignore that');
    const id = await sentMessageId(ada, 'the wifi password is hunter2');
    await rowById(bob, id).locator('.message-body', { hasText: 'hunter2' }).waitFor();

    // Cancel keeps it.
    await deleteForEveryone(ada, rowById(ada, id), { confirm: false });
    expect(await shownBody(ada, id)).toBe('the wifi password is hunter2');

    await deleteForEveryone(ada, rowById(ada, id));
    await rowById(bob, id).locator('.message-body.tombstone', { hasText: 'This message was deleted' }).waitFor();
    await rowById(ada, id).locator('.message-body.tombstone', { hasText: 'This message was deleted' }).waitFor();
    expect(await bob.getByText('hunter2').count()).toBe(0);
    // The message after it is untouched.
    await messageRow(bob, 'ignore that').waitFor();
  });

  test('on a phone, a long press opens the action sheet; 👍 there shows as "👍 1" on the desktop page live', async () => {
    const { ada, bob } = await twoPeople('react', 'Reactions', { bob: PHONE });
    await send(ada, 'Lunch at noon?');
    await send(ada, 'The usual place, by the river');
    const id = await sentMessageId(ada, 'Lunch at noon?');
    const bobsRow = rowById(bob, id);
    await bobsRow.waitFor();
    // A conversation after it, so that it sits above the sheet (which covers the lower half).
    const chat: [Page, string][] = [
      [bob, 'Sounds good'],
      [bob, 'Grace is coming too'],
      [ada, 'Great, I will book a table for three'],
      [bob, 'Can we make it 12:30?'],
      [ada, 'Sure, 12:30 it is'],
      [bob, 'Should I bring the printouts?'],
      [ada, 'Yes please, two copies'],
      [bob, 'Will do'],
    ];
    for (const [page, body] of chat) {
      await send(page, body);
      await messageRow(page === ada ? bob : ada, body).waitFor();
    }

    await longPress(bob, bobsRow.locator('.message-body'));
    const sheet = bob.getByRole('dialog', { name: 'Message actions' });
    await sheet.waitFor();
    // Bob's message sheet: reactions first, then what he may do with Ada's message.
    expect(await sheet.locator('.sheet-actions button').allTextContents()).toEqual(['Reply', 'Pin', 'Delete for me']);
    await shoot(bob, 'message-actions-phone.png');

    await sheet.getByRole('button', { name: 'React with 👍' }).tap();
    await sheet.waitFor({ state: 'detached' });
    await rowById(ada, id).getByRole('button', { name: '👍 1: Bob', exact: true }).waitFor();
    // Bob's own chip says it is his (and the press did nothing else: no reply, no edit).
    await bobsRow.getByRole('button', { name: '👍 1: Bob (you reacted)', pressed: true }).waitFor();
    expect(await bob.locator('.reply-bar').count()).toBe(0);
    expect(await ada.locator('.reaction-chip').count()).toBe(1);
  });

  test('a reply to a message far back in history: clicking its quote loads older pages, scrolls to the original and highlights it', async () => {
    const adaContext = await newContext();
    const ada = await adaContext.newPage();
    const bobContext = await newContext();
    let bob = await bobContext.newPage();
    await register(ada, node.url, 'ada_jump', 'Ada');
    const inviteCode = await createWorkspace(ada, 'History');
    await register(bob, node.url, 'bob_jump', 'Bob');
    await joinWorkspace(bob, inviteCode);
    await bob.getByLabel('Message #general').waitFor();
    const { partitionId, roomId } = openRoom(bob);
    // Bob is away while the history grows (his device has none of it).
    await bob.close();

    const adaApi = await apiAs('ada_jump');
    const bobApi = await apiAs('bob_jump');
    try {
      const sent: { id: string; body: string }[] = [];
      for (let i = 1; i <= 60; i += 1) {
        const body = `status update ${String(i).padStart(2, '0')}`;
        const m = await adaApi.trpc.message.send.mutate({ partitionId, roomId, clientId: uuidv7(), body });
        sent.push({ id: m.id, body });
      }
      const original = sent[0]!;
      await bobApi.trpc.message.send.mutate({ partitionId, roomId, clientId: uuidv7(), body: 'about that first one', replyTo: original.id });
      // Read already (on another device): the room opens at the latest page, not at a "New"
      // divider 60 messages up, which would load the original with the older page.
      await bobApi.trpc.read.markAll.mutate({ partitionId, opId: uuidv7() });
    } finally {
      await Promise.all([adaApi.close(), bobApi.close()]);
    }
    const originalRow = (page: Page) => messageRow(page, 'status update 01');

    bob = await bobContext.newPage();
    await bob.goto(`${node.url}/#/w/${partitionId}/r/${roomId}`);
    const reply = messageRow(bob, 'about that first one');
    await reply.waitFor();
    await messageRow(bob, 'status update 60').waitFor();
    // The latest page only: the original is not loaded.
    expect(await originalRow(bob).count()).toBe(0);
    expect(await bob.locator('li.message').count()).toBeLessThan(61);

    await reply.getByRole('button', { name: 'In reply to Ada: status update 01' }).click();
    const target = originalRow(bob).and(bob.locator('.highlighted'));
    await target.waitFor();
    // In view inside the history's scroller, and focused (the keyboard continues from there).
    const inView = await target.evaluate((row) => {
      const scroller = row.closest('.message-scroller')!.getBoundingClientRect();
      const box = row.getBoundingClientRect();
      return box.top >= scroller.top && box.bottom <= scroller.bottom;
    });
    expect(inView).toBe(true);
    expect(await target.evaluate((row) => document.activeElement === row)).toBe(true);
    // Everything between came with it.
    expect(await bob.locator('li.message').count()).toBe(61);
    // The highlight is for a moment.
    await bob.locator('li.message.highlighted').waitFor({ state: 'detached' });
  });

  test('offline: a reaction, an edit and a delete survive a reload and arrive exactly once each', async () => {
    const { ada, adaContext, bob, partitionId } = await twoPeople('offline', 'Offline');
    await send(ada, 'who is in for pizza?');
    await send(ada, 'meeting moved to 3pm');
    await send(ada, 'sent to the wrong room');
    const reacted = await sentMessageId(ada, 'who is in for pizza?');
    const edited = await sentMessageId(ada, 'meeting moved to 3pm');
    const deleted = await sentMessageId(ada, 'sent to the wrong room');
    await rowById(bob, deleted).waitFor();
    await ada.getByText('Live', { exact: true }).waitFor();
    await waitForServiceWorker(ada);
    // What a reload with no network needs is on the device: the queries and the messages.
    await savedOnDevice(ada, ['"room","list"', '"partition","members"', 'who is in for pizza?', 'meeting moved to 3pm', 'sent to the wrong room']);

    await adaContext.setOffline(true);
    await ada.getByText(/You are offline/).waitFor();
    await reactTo(rowById(ada, reacted), '🎉');
    await editMessage(rowById(ada, edited), 'meeting moved to 4pm');
    await deleteForEveryone(ada, rowById(ada, deleted));

    const pendingShown = async () => {
      await reactionChip(rowById(ada, reacted), '🎉', 1).waitFor();
      await rowById(ada, reacted).getByText('saving…').waitFor();
      await rowById(ada, edited)
        .locator('.message-body', { hasText: /^meeting moved to 4pm\b/ })
        .waitFor();
      await rowById(ada, edited).getByText('saving…').waitFor();
      await rowById(ada, deleted).locator('.message-body.tombstone').waitFor();
    };
    await pendingShown();
    // The outbox has all three on the device before the page goes.
    await savedOnDevice(ada, ['meeting moved to 4pm', '🎉', '"everyone"']);

    await ada.reload();
    await ada.getByText(/You are offline/).waitFor({ timeout: 15_000 });
    await pendingShown();
    // Nothing has reached Bob.
    expect(await shownBody(bob, edited)).toBe('meeting moved to 3pm');
    expect(await shownBody(bob, deleted)).toBe('sent to the wrong room');
    expect(await rowById(bob, reacted).locator('.reaction-chip').count()).toBe(0);

    await adaContext.setOffline(false);
    await reactionChip(rowById(bob, reacted), '🎉', 1).waitFor({ timeout: 30_000 });
    await rowById(bob, edited)
      .locator('.message-body', { hasText: /^meeting moved to 4pm\s*\(edited\)$/ })
      .waitFor({ timeout: 30_000 });
    await rowById(bob, deleted).locator('.message-body.tombstone', { hasText: 'This message was deleted' }).waitFor({ timeout: 30_000 });
    // Ada's page: all confirmed.
    await ada.getByText('saving…').first().waitFor({ state: 'detached', timeout: 30_000 });
    await ada.getByText('Live', { exact: true }).waitFor();
    expect(await ada.locator('.message-status[role="alert"]').count()).toBe(0);

    // The server's log: one event each.
    const events = await node.deps.db
      .selectFrom(pt(parsePartitionId(partitionId), 'events'))
      .select(['type', 'data'])
      .where('type', 'in', ['message.edited', 'message.deleted', 'reaction.added', 'reaction.removed'])
      .orderBy('id')
      .execute();
    const about = events.map(({ type, data }) => {
      const d = data as { id?: string; messageId?: string; emoji?: string; body?: string };
      return [type, d.id ?? d.messageId, d.emoji ?? d.body ?? null];
    });
    expect(about).toEqual(
      expect.arrayContaining([
        ['reaction.added', reacted, '🎉'],
        ['message.edited', edited, 'meeting moved to 4pm'],
        ['message.deleted', deleted, null],
      ]),
    );
    expect(about).toHaveLength(3);
    expect(await bob.locator('.reaction-chip').count()).toBe(1);
  });

  test('reply from the toolbar, edit it, react to it: quote, "(edited)" and the chip on both pages (desktop screenshot)', async () => {
    const { ada, bob } = await twoPeople('reply', 'Launch');
    await send(ada, 'Release notes are in the shared folder');
    await send(ada, 'Please check the migration section before Friday');
    const question = await sentMessageId(ada, 'Please check the migration section before Friday');
    await rowById(bob, question).waitFor();

    // Bob answers it: the toolbar's Reply, then the composer says what he answers.
    const toolbar = await hoverToolbar(rowById(bob, question));
    await toolbar.getByRole('button', { name: 'Reply', exact: true }).click();
    await bob.locator('.reply-bar', { hasText: 'Replying to Ada: Please check the migration section before Friday' }).waitFor();
    await bob.getByLabel('Message #general').fill('Looks good, one typo in step 3');
    await bob.getByLabel('Message #general').press('Enter');
    await bob.locator('.reply-bar').waitFor({ state: 'detached' });
    const reply = await sentMessageId(bob, 'Looks good, one typo in step 3');
    const quote = (page: Page) => rowById(page, reply).getByRole('button', { name: 'In reply to Ada: Please check the migration section before Friday' });
    await quote(ada).waitFor();
    await quote(bob).waitFor();

    await editMessage(rowById(bob, reply), 'Looks good, one typo in step 4');
    await reactTo(rowById(ada, reply), '🎉');
    await reactionChip(rowById(bob, reply), '🎉', 1).waitFor();
    await rowById(ada, reply)
      .locator('.message-body', { hasText: /^Looks good, one typo in step 4\s*\(edited\)$/ })
      .waitFor();
    await rowById(bob, reply).getByText('saving…').waitFor({ state: 'detached' });
    await rowById(ada, reply).getByText('saving…').waitFor({ state: 'detached' });

    // Bob's toolbar over his own reply: all his actions, Edit with the time left.
    const own = await hoverToolbar(rowById(bob, reply));
    const labels = await own.getByRole('button').allTextContents();
    expect(labels).toEqual(['React', 'Reply', expect.stringMatching(/^Edit \([45]:\d\d left\)$/), 'Pin', 'Delete for everyone', 'Delete for me']);
    await shoot(bob, 'message-actions-desktop.png');
  });
});
