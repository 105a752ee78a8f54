import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startTestNode } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot } from './browser.ts';
import { createWorkspace, joinWorkspace, register } from './flows.ts';

/**
 * What a person sees of the others and of the cluster: Bob online in Ada's member list, his
 * typing under the messages, "reconnecting" and then "offline, last seen" once his page is
 * gone; and Ada (the first account, so a Parley administrator) in the admin view, with this
 * node, the workspace and the audit log. `SAVE_SCREENSHOTS=1` refreshes the README's pictures.
 */

const chromiumPath = findChromium();
/** Short, so that "offline" follows "reconnecting" within the test; the default is 60 s. */
const GRACE_MS = 3_000;

/** The presence dot of a member in the sidebar's member list, by its accessible name ("Online", …). */
const presenceOf = (page: Page, name: string) => page.locator('.member-list li', { has: page.locator('.member-name', { hasText: name }) }).getByRole('img');

describe.skipIf(!chromiumPath)('presence, typing and the admin view in the browser (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-presence-'));
  let node: ParleyNode;
  let browser: Browser;

  beforeAll(async () => {
    node = await startTestNode({ dataDir, nodeId: 'browser-node', presenceGraceMs: GRACE_MS });
    browser = await launchChromium(chromiumPath!);
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('Bob online, typing, then reconnecting and offline with last seen; Ada administers the node', async () => {
    const adaContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ada = await adaContext.newPage();
    const bobContext = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const bob = await bobContext.newPage();

    await register(ada, node.url, 'ada');
    const inviteCode = await createWorkspace(ada, 'Acme');
    await register(bob, node.url, 'bob');
    await joinWorkspace(bob, inviteCode);
    await bob.getByLabel('Message #general').waitFor();

    await expect.poll(() => presenceOf(ada, 'bob').getAttribute('aria-label'), { timeout: 15_000 }).toBe('Online');
    await expect.poll(() => ada.locator('.online-count').textContent()).toContain('2 online');

    await bob.getByLabel('Message #general').fill('on my way');
    await ada.locator('.typing-indicator', { hasText: 'bob is typing…' }).waitFor({ timeout: 15_000 });
    await shoot(ada, 'presence-typing.png');
    await bob.getByLabel('Message #general').press('Enter');
    await ada.locator('.message-body', { hasText: 'on my way' }).waitFor();
    await expect.poll(() => ada.locator('.typing-indicator').textContent()).not.toContain('typing');

    // Bob's page goes away: reconnecting during the grace period, then offline with a last-seen time.
    await bobContext.close();
    await expect.poll(() => presenceOf(ada, 'bob').getAttribute('aria-label'), { timeout: 15_000 }).toBe('Reconnecting…');
    await expect.poll(() => presenceOf(ada, 'bob').getAttribute('aria-label'), { timeout: GRACE_MS + 15_000 }).toMatch(/^Offline · last seen /);
    await expect.poll(() => ada.locator('.member-list .last-seen').textContent()).toMatch(/^last seen /);

    // The first account of a new database administers Parley.
    await ada.getByRole('link', { name: 'Admin' }).click();
    const nodes = ada.getByRole('table', { name: 'Nodes' });
    await nodes.getByRole('row', { name: /browser-node/ }).waitFor();
    expect(await nodes.getByRole('row', { name: /browser-node/ }).textContent()).toContain('Healthy');
    await ada.getByRole('table', { name: 'Workspaces' }).getByText('Acme').waitFor();
    await ada.getByRole('table', { name: 'Audit log' }).getByText('node.registered').first().waitFor();
    await shoot(ada, 'admin-desktop.png');
    await ada.setViewportSize({ width: 390, height: 844 });
    await shoot(ada, 'admin-phone.png');
    await adaContext.close();
  });
});
