import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestNode } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium } from './browser.ts';
import { bodies, createWorkspace, joinWorkspace, register, send } from './flows.ts';

const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)('two people chatting in two browsers (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-browser-'));
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

  test('register, create, join by invite, chat live, reload, and resume after a server restart', async () => {
    const ada = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const bob = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();

    await register(ada, node.url, 'ada');
    const inviteCode = await createWorkspace(ada, 'Acme');
    expect(inviteCode).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    await send(ada, 'hello from ada <b>not bold</b>');

    await register(bob, node.url, 'bob');
    await joinWorkspace(bob, inviteCode);
    await bob.locator('.message-body', { hasText: 'hello from ada' }).waitFor();
    expect(await bob.locator('.message-body b').count()).toBe(0);

    await send(bob, 'hi ada, bob here');
    await ada.locator('.message-body', { hasText: 'hi ada, bob here' }).waitFor();

    await ada.reload();
    await ada.locator('.message-body', { hasText: 'hi ada, bob here' }).waitFor();
    expect(await bodies(ada)).toEqual(['hello from ada <b>not bold</b>', 'hi ada, bob here']);

    // The server restarts under two open pages; both resume where they were.
    const port = node.port;
    await node.close();
    node = await startTestNode({ dataDir, port });
    await ada.getByText('Live', { exact: true }).waitFor({ timeout: 30_000 });
    await send(bob, 'after the restart');
    await ada.locator('.message-body', { hasText: 'after the restart' }).waitFor({ timeout: 30_000 });
    await ada.waitForTimeout(500);
    expect(await bodies(ada)).toEqual(['hello from ada <b>not bold</b>', 'hi ada, bob here', 'after the restart']);
    expect(await bodies(bob)).toEqual(['hello from ada <b>not bold</b>', 'hi ada, bob here', 'after the restart']);
  });
});
