import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestNode } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot, waitForServiceWorker } from './browser.ts';
import { createWorkspace, joinWorkspace, register } from './flows.ts';

/**
 * Notes in a real browser against a real node (embedded database): Ada edits under the lock
 * while Bob watches; Ada's offline draft survives a reload and is saved once when she is back;
 * a draft whose note moved on shows both texts. `SAVE_SCREENSHOTS=1` refreshes docs/notes-locked.png.
 */

const chromiumPath = findChromium();

const noteBody = (page: Page) => page.locator('.note-view .note-body');
const editButton = (page: Page) => page.locator('.note-view .note-actions button').first();
const textArea = (page: Page) => page.getByRole('textbox', { name: /^Text/ });

async function openNotes(page: Page) {
  await page.getByRole('link', { name: 'Notes', exact: true }).click();
  await page.getByRole('heading', { name: 'Notes', level: 2 }).waitFor();
}

async function openNote(page: Page, title: string) {
  await page
    .getByRole('navigation', { name: 'All notes' })
    .getByRole('link', { name: new RegExp(`^${title}`) })
    .click();
  await page.getByRole('heading', { name: title, level: 2 }).waitFor();
}

/** The versions `note.history` lists, as the History panel shows them. */
async function versionCount(page: Page): Promise<number> {
  await page.getByRole('button', { name: 'History' }).click();
  await page.getByRole('heading', { name: 'History', level: 3 }).waitFor();
  await page.locator('.note-history li').first().waitFor();
  const count = await page.locator('.note-history li').count();
  await page.getByRole('button', { name: 'Hide history' }).click();
  return count;
}

describe.skipIf(!chromiumPath)('notes in the browser (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-notes-e2e-'));
  let node: ParleyNode;
  let browser: Browser;
  let adaContext: BrowserContext;
  let ada: Page;
  let bob: Page;

  beforeAll(async () => {
    node = await startTestNode({ dataDir });
    browser = await launchChromium(chromiumPath!);
    adaContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    ada = await adaContext.newPage();
    bob = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await register(ada, node.url, 'ada', 'Ada');
    const inviteCode = await createWorkspace(ada, 'Studio');
    await register(bob, node.url, 'bob', 'Bob');
    await joinWorkspace(bob, inviteCode);
    await bob.getByLabel('Message #general').waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('Ada edits under the lock: Bob sees "Ada is editing", then her text live, rendered safely', async () => {
    await openNotes(ada);
    await ada.getByRole('button', { name: 'New note' }).click();
    await ada.getByLabel('Title').fill('Launch plan');
    await ada.getByRole('button', { name: 'Create' }).click();
    // A new note opens in the editor, under Ada's lock.
    await ada.getByText(/You are editing · lock expires in [45]:\d\d/).waitFor();
    await textArea(ada).fill('Launch week:\n\n- **Monday**: freeze the release branch\n- Tuesday: docs and screenshots\n- Wednesday: ship to *everyone*');
    await ada.getByRole('button', { name: 'Save', exact: true }).click();
    await ada.getByText('Version 2 · saved by Ada').waitFor();
    await editButton(ada).click();
    await ada.getByText(/You are editing · lock expires in [45]:\d\d/).waitFor();

    await openNotes(bob);
    await openNote(bob, 'Launch plan');
    await bob.getByText(/Ada is editing · lock expires in [45]:\d\d/).waitFor();
    expect(await editButton(bob).textContent()).toBe('Edit · Ada is editing');
    expect(await editButton(bob).isDisabled()).toBe(true);
    await shoot(bob, 'notes-locked.png');

    const body = '**Ship** on Friday\n\n<script>window.__pwned = 1</script>\n\n[click](javascript:window.__pwned=2) <img src=x onerror="window.__pwned=3">';
    await textArea(ada).fill(body);
    await ada.getByRole('button', { name: 'Save', exact: true }).click();
    await ada.getByText('Version 3 · saved by Ada').waitFor();

    // Bob: her text arrives without a reload, the lock line goes, and Edit is his to press.
    await noteBody(bob).getByText('Ship', { exact: true }).waitFor();
    expect(await noteBody(bob).locator('strong').textContent()).toBe('Ship');
    await bob.locator('.note-view .note-lock').waitFor({ state: 'detached' });
    expect(await editButton(bob).textContent()).toBe('Edit');
    expect(await editButton(bob).isDisabled()).toBe(false);
    // Nothing in a note is HTML: no script, no image, no javascript: link; the words show as text.
    for (const page of [ada, bob]) {
      expect(await noteBody(page).locator('script, img, a[href^="javascript"]').count()).toBe(0);
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
      await noteBody(page).getByText('<script>window.__pwned = 1</script>').waitFor();
    }

    // Bob takes the lock now; Ada sees it.
    await editButton(bob).click();
    await bob.getByText(/You are editing · lock expires in/).waitFor();
    await ada.getByText(/Bob is editing · lock expires in [45]:\d\d/).waitFor();
    await bob.getByRole('button', { name: 'Cancel' }).click();
    await ada.locator('.note-view .note-lock').waitFor({ state: 'detached' });
  });

  test('an offline draft survives a reload and is saved once when Ada is back', async () => {
    await waitForServiceWorker(ada);
    // Let the note store and the query cache reach IndexedDB.
    await ada.waitForTimeout(1500);
    const versionsBefore = await versionCount(ada);

    await adaContext.setOffline(true);
    await editButton(ada).click();
    await textArea(ada).fill('Ship on Monday (written offline)');
    await ada.getByText('Not saved — offline', { exact: false }).waitFor();
    await ada.getByRole('button', { name: 'Save', exact: true }).click();
    await ada.getByText('Not saved — offline', { exact: false }).waitFor();
    await ada.waitForTimeout(500); // the draft's durable write (250 ms after the last keystroke)

    await ada.reload();
    await ada.getByText('Not saved — offline', { exact: false }).waitFor({ timeout: 15_000 });
    expect(await textArea(ada).inputValue()).toBe('Ship on Monday (written offline)');
    await expect(noteBody(bob).textContent()).resolves.toContain('Ship on Friday');

    await adaContext.setOffline(false);
    await noteBody(bob).getByText('Ship on Monday (written offline)').waitFor({ timeout: 30_000 });
    await noteBody(ada).getByText('Ship on Monday (written offline)').waitFor({ timeout: 30_000 });
    // Saved, and the lock given back: Bob may edit.
    await expect.poll(() => editButton(bob).textContent(), { timeout: 15_000 }).toBe('Edit');
    await ada.waitForTimeout(1000);
    expect(await versionCount(ada)).toBe(versionsBefore + 1);
  });

  test('a draft whose note changed meanwhile shows both texts, and "Save mine" saves it', async () => {
    await adaContext.setOffline(true);
    await editButton(ada).click();
    await textArea(ada).fill('Ada: ship on Tuesday');
    await ada.getByText('Not saved — offline', { exact: false }).waitFor();

    // Bob saves meanwhile.
    await editButton(bob).click();
    await bob.getByText(/You are editing · lock expires in/).waitFor();
    await textArea(bob).fill('Bob: ship on Wednesday');
    await bob.getByRole('button', { name: 'Save', exact: true }).click();
    await noteBody(bob).getByText('Bob: ship on Wednesday').waitFor();

    await adaContext.setOffline(false);
    await ada.getByRole('region', { name: 'Choose a version' }).waitFor({ timeout: 30_000 });
    expect(await ada.getByLabel('Their text').textContent()).toBe('Bob: ship on Wednesday');
    expect(await ada.getByLabel('Your text').textContent()).toBe('Ada: ship on Tuesday');
    // Nothing of Ada's was saved over Bob's.
    await bob.waitForTimeout(500);
    expect(await noteBody(bob).textContent()).toBe('Bob: ship on Wednesday');

    await ada.getByRole('button', { name: 'Save mine' }).click();
    await noteBody(bob).getByText('Ada: ship on Tuesday').waitFor({ timeout: 15_000 });
    await noteBody(ada).getByText('Ada: ship on Tuesday').waitFor();
    await expect.poll(() => editButton(bob).textContent(), { timeout: 15_000 }).toBe('Edit');
  });
});
