/**
 * How long a first visit takes to show the sign-in form on a slow phone network: Chromium with
 * DevTools' "Fast 3G" conditions (562.5 ms round trip, 1.44 Mbit/s down, 675 kbit/s up), no
 * cache. Prints the median of the runs and the bytes that crossed the network.
 *
 *   pnpm page-load http://localhost:3000 [--runs 5]
 *
 * A script that prints numbers, not a test: compare two servers in one run on one machine.
 */
import { findChromium, launchChromium } from './browser.ts';

const FAST_3G = { offline: false, latency: 562.5, downloadThroughput: (1.44 * 1024 * 1024) / 8, uploadThroughput: (675 * 1024) / 8 };

async function main() {
  const args = process.argv.slice(2);
  const urls = args.filter((a) => /^https?:\/\//.test(a));
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
  if (urls.length === 0 || !(runs >= 1)) {
    console.error('usage: pnpm page-load <url> [<url> …] [--runs N]');
    process.exit(2);
  }
  const chromium = findChromium();
  if (!chromium) process.exit(1);
  const browser = await launchChromium(chromium);
  try {
    for (const url of urls) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < runs; i++) {
        const context = await browser.newContext({ serviceWorkers: 'block' });
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
        await cdp.send('Network.emulateNetworkConditions', FAST_3G);
        let transferred = 0;
        cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => (transferred += e.encodedDataLength));
        const started = performance.now();
        await page.goto(url, { waitUntil: 'commit' });
        await page
          .getByRole('button', { name: /sign in/i })
          .first()
          .waitFor({ timeout: 60_000 });
        times.push(performance.now() - started);
        bytes = transferred;
        await context.close();
      }
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      console.log(
        `${url}: sign-in form after ${(median / 1000).toFixed(2)} s (median of ${runs}; ${times.map((t) => (t / 1000).toFixed(2)).join(', ')}), ${Math.round(bytes / 1024)} KiB transferred`,
      );
    }
  } finally {
    await browser.close();
  }
}

await main();
