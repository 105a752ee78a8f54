import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Locator } from 'playwright-core';
import { startTestNode } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot } from './browser.ts';
import { createWorkspace, joinWorkspace, messageRow, register, send } from './flows.ts';

/**
 * Profiles in real browsers against a real node (embedded database): Ada changes her display
 * name and status and uploads a picture; Bob's page, open all along, shows the new name and the
 * picture on her old messages and in the member list without a reload. `SAVE_SCREENSHOTS=1`
 * refreshes docs/profile-*.png.
 */

const chromiumPath = findChromium();

/** A 1×1 PNG: the server reads it by its bytes and makes a 256×256 WebP of it. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

/** Whether the row's avatar is a picture that loaded (not the initial), and its address. */
const avatarOf = (row: Locator) =>
  row.evaluate((el) => {
    const img = el.querySelector('img.avatar');
    return img instanceof HTMLImageElement ? { src: img.getAttribute('src'), loaded: img.complete && img.naturalWidth > 0 } : null;
  });

describe.skipIf(!chromiumPath)('profiles in the browser (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-profiles-'));
  let node: ParleyNode;
  let browser: Browser;

  beforeAll(async () => {
    node = await startTestNode({ dataDir, nodeId: 'profiles-node' });
    browser = await launchChromium(chromiumPath!);
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("Ada's new name, status and picture reach Bob's open page, on her old messages, without a reload", async () => {
    const adaContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ada = await adaContext.newPage();
    const bobContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const bob = await bobContext.newPage();

    await register(ada, node.url, 'ada', 'Ada');
    const inviteCode = await createWorkspace(ada, 'Acme');
    await register(bob, node.url, 'bob', 'Bob');
    await joinWorkspace(bob, inviteCode);
    await send(ada, 'an old message from ada');
    const onBob = messageRow(bob, 'an old message from ada');
    await onBob.waitFor();
    expect(await onBob.locator('.author').textContent()).toBe('Ada');
    expect(await avatarOf(onBob)).toBeNull();
    let bobReloaded = false;
    bob.on('load', () => (bobReloaded = true));

    await ada.getByRole('button', { name: 'Edit your profile (Ada)' }).click();
    const dialog = ada.getByRole('dialog', { name: 'Your profile' });
    await dialog.getByLabel('Display name').fill('Ada Lovelace');
    await dialog.getByLabel('Status').fill('Analysing engines');
    await dialog.getByLabel('Profile picture').setInputFiles({ name: 'ada.png', mimeType: 'image/png', buffer: PNG });
    await dialog.locator('.profile-avatar-field img.avatar').waitFor();
    await shoot(ada, 'profile-dialog.png');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });

    // Bob's page follows while he looks at it.
    await expect.poll(() => onBob.locator('.author').textContent(), { timeout: 15_000 }).toBe('Ada Lovelace');
    await expect.poll(() => avatarOf(onBob), { timeout: 15_000 }).toEqual({ src: expect.stringMatching(/\/avatar\/[A-Za-z0-9_-]+$/) as string, loaded: true });
    const members = bob.locator('.member-list');
    await expect.poll(() => members.locator('.member-name').allTextContents()).toContain('Ada Lovelace');
    expect(await members.locator('.person-status').allTextContents()).toContain('Analysing engines');
    expect(bobReloaded).toBe(false);
    await shoot(bob, 'profile-live.png');

    // Ada's own page says so too, and her next message carries the new name.
    await ada.getByRole('button', { name: 'Edit your profile (Ada Lovelace)' }).waitFor();
    await send(ada, 'a new one');
    await expect.poll(() => messageRow(bob, 'a new one').count(), { timeout: 15_000 }).toBe(1);
    expect(await avatarOf(messageRow(ada, 'an old message from ada'))).toMatchObject({ loaded: true });
    await Promise.all([adaContext.close(), bobContext.close()]);
  });
});
