import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestNode } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium, shoot, waitForServiceWorker } from './browser.ts';
import { createWorkspace, joinWorkspace, register, send } from './flows.ts';

/**
 * Attachments in a real browser against a real node (embedded database): an image picked on a
 * phone shows as a thumbnail for the other person and opens full size; an uploaded HTML or SVG
 * file never runs script in Parley's origin, however it is opened; a file attached offline
 * survives a reload and arrives once with its message.
 */

const chromiumPath = findChromium();
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}
/** A real PNG (solid colour, RGB), so the server's image library can read it and make a thumbnail. */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(pixels)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Attaches a file with the paperclip's picker, writes a caption and sends. */
async function sendFile(page: Page, file: { name: string; mimeType: string; buffer: Buffer }, caption: string) {
  await page.locator('[data-testid="attach-input"]').setInputFiles(file);
  await page.getByRole('group', { name: 'Attachment' }).getByText(file.name).waitFor();
  await send(page, caption);
}

const pwned = (page: Page) => page.evaluate(() => (window as { __pwned?: unknown }).__pwned ?? null);

describe.skipIf(!chromiumPath)('attachments in the browser (embedded database)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-attach-'));
  let node: ParleyNode;
  let browser: Browser;
  let adaContext: BrowserContext;
  let ada: Page;
  let bob: Page;

  beforeAll(async () => {
    node = await startTestNode({ dataDir });
    browser = await launchChromium(chromiumPath!);
    adaContext = await browser.newContext(DESKTOP);
    ada = await adaContext.newPage();
    bob = await (await browser.newContext(PHONE)).newPage();
    await register(ada, node.url, 'ada');
    const inviteCode = await createWorkspace(ada, 'Media');
    await send(ada, 'hello');
    await register(bob, node.url, 'bob');
    await joinWorkspace(bob, inviteCode);
    await bob.locator('.message-body', { hasText: 'hello' }).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('on a phone: an image picked and sent shows as a thumbnail for the other person, and opens full size', async () => {
    await sendFile(bob, { name: 'sunset.png', mimeType: 'image/png', buffer: png(800, 600, [230, 120, 40]) }, 'look at this');

    const thumb = ada.locator('li.message', { hasText: 'look at this' }).getByRole('img', { name: 'sunset.png' });
    await thumb.waitFor({ timeout: 30_000 });
    await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    // The server's thumbnail, not the full file; its box was reserved from the image's size.
    expect(await thumb.getAttribute('src')).toMatch(/\/media\/[^/]+\/[0-9a-f-]{36}\/thumb$/);
    expect(Number(await thumb.getAttribute('width')) / Number(await thumb.getAttribute('height'))).toBeCloseTo(800 / 600, 1);

    // On the phone: sent, and the full size opens over the app and closes with Close.
    const bobRow = bob.locator('li.message[data-status="sent"]', { hasText: 'look at this' });
    await bobRow.waitFor({ timeout: 30_000 });
    await bobRow.getByRole('button', { name: 'Open sunset.png full size' }).tap();
    const dialog = bob.getByRole('dialog', { name: 'sunset.png' });
    const full = dialog.getByRole('img', { name: 'sunset.png' });
    await expect.poll(() => full.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(800);
    const box = (await full.boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(390);
    await shoot(bob, 'attachment-phone.png');
    await dialog.getByRole('button', { name: 'Close' }).tap();
    await dialog.waitFor({ state: 'detached' });

    // On the desktop, Escape closes it.
    await ada.getByRole('button', { name: 'Open sunset.png full size' }).click();
    await ada.getByRole('dialog', { name: 'sunset.png' }).waitFor();
    await ada.keyboard.press('Escape');
    await ada.getByRole('dialog', { name: 'sunset.png' }).waitFor({ state: 'detached' });
  });

  test('an uploaded HTML or SVG file never runs script in the origin: served as an attachment with nosniff, opened, framed or embedded', async () => {
    const html = Buffer.from('<!doctype html><html><body><h1>hi</h1><script>window.__pwned=1; parent.__pwned=1</script></body></html>');
    const svg = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="window.__pwned=1"><script>window.__pwned=1; parent.__pwned=1</script><rect width="10" height="10"/></svg>',
    );
    await sendFile(ada, { name: 'evil.html', mimeType: 'text/html', buffer: html }, 'an html file');
    await sendFile(ada, { name: 'evil.svg', mimeType: 'image/svg+xml', buffer: svg }, 'an svg file');

    const urls: string[] = [];
    for (const name of ['evil.html', 'evil.svg']) {
      const link = bob.getByRole('link', { name });
      await link.waitFor({ timeout: 30_000 });
      urls.push(new URL((await link.getAttribute('href'))!, node.url).toString());
    }

    for (const url of urls) {
      // With Bob's session (cookie): the bytes decided the type, and a browser must not guess.
      const response = await bob.context().request.get(url);
      expect(response.status()).toBe(200);
      const headers = response.headers();
      expect(headers['content-disposition']).toMatch(/^attachment/);
      expect(headers['x-content-type-options']).toBe('nosniff');
      expect(headers['content-type']).not.toMatch(/html|svg|xml|javascript/);

      // Opened directly in a tab of the app's origin: a download, never a page.
      const tab = await bob.context().newPage();
      const download = tab.waitForEvent('download', { timeout: 10_000 }).catch(() => null);
      await tab.goto(url).catch(() => undefined);
      await download;
      expect(await pwned(tab).catch(() => null)).toBeNull();
      await tab.close();
    }

    // Framed and embedded by the app's own page: nothing runs, here or in the frames.
    await bob.evaluate((list) => {
      for (const url of list) {
        for (const tag of ['iframe', 'img', 'object', 'embed'] as const) {
          const el = document.createElement(tag);
          if (tag === 'object') (el as HTMLObjectElement).data = url;
          else (el as HTMLIFrameElement | HTMLImageElement | HTMLEmbedElement).src = url;
          el.setAttribute('data-probe', '1');
          document.body.appendChild(el);
        }
      }
    }, urls);
    await bob.waitForTimeout(2000);
    expect(await pwned(bob)).toBeNull();
    for (const frame of bob.frames()) expect(await frame.evaluate(() => (window as { __pwned?: unknown }).__pwned ?? null).catch(() => null)).toBeNull();
    await bob.evaluate(() => document.querySelectorAll('[data-probe]').forEach((el) => el.remove()));
    await shoot(ada, 'attachments-desktop.png');
  });

  test('a file attached offline waits with its message across a reload, then arrives exactly once', async () => {
    await ada.getByText('Live', { exact: true }).waitFor();
    await waitForServiceWorker(ada);
    // Let the debounced writes of the query cache and the message store reach IndexedDB.
    await ada.waitForTimeout(1500);

    await adaContext.setOffline(true);
    await ada.getByText(/You are offline/).waitFor();
    await sendFile(ada, { name: 'offline.png', mimeType: 'image/png', buffer: png(320, 200, [40, 160, 90]) }, 'sent from the tunnel');
    const row = () => ada.locator('li.message', { hasText: 'sent from the tunnel' });
    await row().and(ada.locator('[data-status="queued"]')).waitFor();
    await row()
      .getByText(/Waiting for the connection/)
      .waitFor();
    // The local copy shows before it is uploaded.
    await row().getByRole('img', { name: 'offline.png' }).waitFor();

    await ada.reload();
    await ada.getByText(/You are offline/).waitFor({ timeout: 15_000 });
    await row().and(ada.locator('[data-status="queued"]')).waitFor({ timeout: 15_000 });
    // Read back from IndexedDB: the file came through the reload.
    await expect
      .poll(
        () =>
          row()
            .getByRole('img', { name: 'offline.png' })
            .evaluate((img: HTMLImageElement) => img.naturalWidth),
        { timeout: 10_000 },
      )
      .toBe(320);
    expect(await bob.locator('li.message', { hasText: 'sent from the tunnel' }).count()).toBe(0);

    await adaContext.setOffline(false);
    const bobRow = bob.locator('li.message', { hasText: 'sent from the tunnel' });
    await bobRow.getByRole('img', { name: 'offline.png' }).waitFor({ timeout: 30_000 });
    await row().and(ada.locator('[data-status="sent"]')).waitFor({ timeout: 30_000 });
    // Long enough for a duplicate or a straggler to show up if there were one.
    await bob.waitForTimeout(1500);
    expect(await bobRow.count()).toBe(1);
    expect(await bob.getByRole('img', { name: 'offline.png' }).count()).toBe(1);
    expect(await row().count()).toBe(1);
  });
});
