import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Browser } from 'playwright-core';
import { startTestNode } from '../apps/server/test/helpers.ts';
import type { ParleyNode } from '../apps/server/src/node.ts';
import { findChromium, launchChromium } from './browser.ts';
import { bodies, createWorkspace, register, send } from './flows.ts';

/**
 * The SPA under the node's Content-Security-Policy in a real browser: signing up, a workspace,
 * a message over the WebSocket and the service worker, with not one violation reported (the
 * page's `securitypolicyviolation` events and the console both watched).
 */

const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)('the SPA under its Content-Security-Policy', () => {
  let node: ParleyNode;
  let browser: Browser;
  beforeAll(async () => {
    node = await startTestNode({ nodeId: 'csp-node', dataDir: 'memory://' });
    browser = await launchChromium(chromiumPath!);
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
  });

  test('signs up, creates a workspace and chats with no CSP violation', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(`console: ${message.text()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`);
      });
    });

    const response = await page.goto(node.url);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await register(page, node.url, 'csp_ann');
    await createWorkspace(page, 'CSP');
    await send(page, 'hello under a strict policy');
    await expect.poll(() => bodies(page)).toContain('hello under a strict policy');
    await page.getByText('hello under a strict policy').locator('xpath=ancestor::li[@data-status="sent"]').waitFor();
    // The service worker registers and activates under worker-src 'self'.
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));

    expect(violations).toEqual([]);

    // The watch sees a violation when there is one: an injected inline script is refused.
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.injected = true';
      document.head.append(script);
    });
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    expect(await page.evaluate(() => (window as { injected?: boolean }).injected)).toBeUndefined();
    await context.close();
  });
});
