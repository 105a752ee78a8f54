import type { Locator, Page } from 'playwright-core';

/** What a person does in the SPA, step by step, for the browser tests. */

export async function register(page: Page, url: string, username: string, displayName?: string) {
  await page.goto(url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  if (displayName) await page.getByLabel('Display name').fill(displayName);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Your workspaces' }).waitFor();
}

/** Creates a workspace, opens it, and returns its invite code. */
export async function createWorkspace(page: Page, name: string): Promise<string> {
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Create workspace' }).click();
  const inviteCode = (await page.locator('output.code').textContent())!.trim();
  await page.getByRole('button', { name: `Open ${name}` }).click();
  return inviteCode;
}

export async function joinWorkspace(page: Page, inviteCode: string) {
  await page.getByRole('textbox', { name: 'Invite code' }).fill(inviteCode);
  await page.getByRole('button', { name: 'Join workspace' }).click();
}

export async function send(page: Page, body: string, room = 'general') {
  const composer = page.getByLabel(`Message #${room}`);
  await composer.fill(body);
  await composer.press('Enter');
}

export const bodies = (page: Page) => page.locator('.message-body').allTextContents();

/** Each message's text and state (`sent`, `sending`, `queued`, `failed`), in the order shown. */
export const messagesWithStatus = (page: Page) =>
  page
    .locator('li.message')
    .evaluateAll((rows) => rows.map((row) => [row.querySelector('.message-body')?.textContent ?? '', row.getAttribute('data-status') ?? '']));

// ── Conversations (issue 9): a message's actions, as a person reaches them ──────────────────

/** The room in view, from the SPA's route (`#/w/<partition>/r/<room>`). */
export function openRoom(page: Page): { partitionId: string; roomId: string } {
  const match = /#\/w\/([^/]+)\/r\/([^/?]+)/.exec(page.url());
  if (!match) throw new Error(`no room in the page's route: ${page.url()}`);
  return { partitionId: decodeURIComponent(match[1]!), roomId: decodeURIComponent(match[2]!) };
}

/** The row of the message whose text is exactly `body` (its text as shown, marks like "(edited)" aside). */
export function messageRow(page: Page, body: string) {
  const exact = new RegExp(`^${body.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\s*\\(edited\\))?(\\s*saving…)?$`);
  return page.locator('li.message').filter({ has: page.locator('.message-body', { hasText: exact }) });
}

/** A message's row by its id (stays the same row after an edit or a deletion). */
export const rowById = (page: Page, messageId: string) => page.locator(`li.message[data-message-id="${messageId}"]`);

/** The id the server gave the message shown as `body` (waits until it is sent). */
export async function sentMessageId(page: Page, body: string): Promise<string> {
  const row = messageRow(page, body).and(page.locator('[data-status="sent"]'));
  await row.waitFor();
  return (await row.getAttribute('data-message-id'))!;
}

/** Hovers the message (a desktop's way in) and returns its toolbar, "Message actions". */
export async function hoverToolbar(row: Locator) {
  await row.hover();
  const toolbar = row.getByRole('toolbar', { name: 'Message actions' });
  await toolbar.waitFor();
  return toolbar;
}

/** Edit from the hover toolbar ("Edit (4:59 left)"), type the new text, Enter saves. */
export async function editMessage(row: Locator, newBody: string) {
  // The same row while its text is replaced by the edit field (a locator by text would lose it).
  const key = await row.getAttribute('data-row-key');
  row = row.page().locator(`li.message[data-row-key="${key}"]`);
  const toolbar = await hoverToolbar(row);
  await toolbar.getByRole('button', { name: /^Edit \(\d+:\d\d left\)$/ }).click();
  const field = row.getByRole('textbox', { name: 'Edit message' });
  await field.fill(newBody);
  await field.press('Enter');
  await field.waitFor({ state: 'detached' });
}

/** React from the hover toolbar: React, then the emoji in the picker. */
export async function reactTo(row: Locator, emoji: string) {
  const toolbar = await hoverToolbar(row);
  await toolbar.getByRole('button', { name: 'React', exact: true }).click();
  await row
    .getByRole('group', { name: 'Choose a reaction' })
    .getByRole('button', { name: `React with ${emoji}` })
    .click();
}

/** "Delete for everyone" from the hover toolbar, answered in the confirmation dialog (`confirm`: Delete, else Cancel). */
export async function deleteForEveryone(page: Page, row: Locator, { confirm = true } = {}) {
  const toolbar = await hoverToolbar(row);
  await toolbar.getByRole('button', { name: 'Delete for everyone' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'Delete this message for everyone?' });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: confirm ? 'Delete' : 'Cancel', exact: true }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** The reaction chip `emoji count` under a message ("👍 1: bob"), whoever reacted. */
export const reactionChip = (row: Locator, emoji: string, count: number) =>
  row.getByRole('list', { name: 'Reactions' }).getByRole('button', { name: new RegExp(`^${emoji} ${count}:`) });

/**
 * A finger held on the element for `holdMs` (the SPA opens a message's action sheet after
 * 500 ms), as real touch events through the DevTools protocol. Needs a context with `hasTouch`.
 */
export async function longPress(page: Page, target: Locator, holdMs = 600) {
  await target.scrollIntoViewIfNeeded();
  const box = await target.boundingBox();
  if (!box) throw new Error('long press: the element is not on screen');
  const point = { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [point] });
    // The one fixed wait: a long press is a finger resting this long.
    await page.waitForTimeout(holdMs);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  } finally {
    await cdp.detach();
  }
}

/**
 * Waits until the device has saved what a reload with no network needs: every one of
 * `needles` somewhere in the page's IndexedDB (the query cache, the message store, the outbox).
 */
export async function savedOnDevice(page: Page, needles: string[], timeout = 15_000) {
  await page.waitForFunction(
    async (wanted: string[]) => {
      const texts: string[] = [];
      for (const info of await indexedDB.databases()) {
        if (!info.name) continue;
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const open = indexedDB.open(info.name!);
          open.onsuccess = () => resolve(open.result);
          open.onerror = () => reject(open.error ?? new Error('indexedDB.open failed'));
        });
        try {
          for (const storeName of Array.from(db.objectStoreNames)) {
            const values = await new Promise<unknown[]>((resolve, reject) => {
              const req = db.transaction(storeName, 'readonly').objectStore(storeName).getAll();
              req.onsuccess = () => resolve(req.result);
              req.onerror = () => reject(req.error ?? new Error('getAll failed'));
            });
            for (const value of values) texts.push(typeof value === 'string' ? value : JSON.stringify(value));
          }
        } finally {
          db.close();
        }
      }
      const all = texts.join('\n');
      return wanted.every((needle) => all.includes(needle));
    },
    needles,
    { polling: 250, timeout },
  );
}
