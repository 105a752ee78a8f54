import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestNode } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot } from './browser.ts';
import { bodies, createWorkspace, joinWorkspace, register, send } from './flows.ts';

/**
 * Roles as two people see them, live: Ada (owner) makes Bob a viewer and his composer stops
 * taking messages while he watches; she makes him a member again and he writes; she removes
 * him and his page leaves the workspace, saying so. `SAVE_SCREENSHOTS=1` refreshes
 * docs/manage-members.png.
 */

const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)('managing members in the browser (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-members-'));
  let node: ParleyNode;
  let browser: Browser;

  beforeAll(async () => {
    node = await startTestNode({ dataDir, nodeId: 'members-node' });
    browser = await launchChromium(chromiumPath!);
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('the owner makes Bob a viewer (he can no longer write), a member again, then removes him (his page says so)', async () => {
    const adaContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const ada = await adaContext.newPage();
    const bobContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const bob = await bobContext.newPage();

    await register(ada, node.url, 'ada');
    const inviteCode = await createWorkspace(ada, 'Acme');
    await register(bob, node.url, 'bob');
    await joinWorkspace(bob, inviteCode);
    await send(bob, 'hello from bob');
    await ada.locator('.message-body', { hasText: 'hello from bob' }).waitFor();

    await ada.getByRole('button', { name: 'Manage members' }).click();
    const bobsRole = ada.getByLabel('Role of bob');
    expect(await bobsRole.locator('option').allTextContents()).toEqual(['admin', 'member', 'viewer']);
    await bobsRole.selectOption('viewer');
    // Bob's page follows while he looks at it: the composer is closed to him.
    await bob.getByText('Viewers can read but not write in this workspace.').waitFor({ timeout: 15_000 });
    expect(await bob.getByLabel('Message #general').isDisabled()).toBe(true);
    await expect.poll(() => bobsRole.inputValue()).toBe('viewer');
    await shoot(ada, 'manage-members.png');

    await bobsRole.selectOption('member');
    await expect.poll(() => bob.getByLabel('Message #general').isDisabled(), { timeout: 15_000 }).toBe(false);
    await send(bob, 'back to writing');
    await ada.locator('.message-body', { hasText: 'back to writing' }).waitFor();

    ada.once('dialog', (dialog) => void dialog.accept());
    await ada.getByRole('button', { name: 'Remove bob from the workspace' }).click();
    await bob.getByText('You were removed from Acme.').waitFor({ timeout: 15_000 });
    await bob.getByRole('heading', { name: 'Your workspaces' }).waitFor();
    expect(await bob.getByRole('button', { name: 'Open Acme' }).count()).toBe(0);
    await expect.poll(() => ada.locator('.member-list .member-name').allTextContents()).toEqual(['ada']);
    // His messages stay.
    expect(await bodies(ada)).toEqual(expect.arrayContaining(['hello from bob', 'back to writing']));
    await Promise.all([adaContext.close(), bobContext.close()]);
  });
});
