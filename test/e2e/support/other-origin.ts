import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './harness';

/**
 * What the OSS browser tests stand on: an app's own site on another origin than the OSS endpoint (so every call
 * the page makes to OSS is cross-origin, as in the cloud), and Chromium with a page open on it.
 */
export interface OtherOriginSite {
  /** e.g. `http://127.0.0.1:41234` */
  origin: string;
  browser: Browser;
  /** A page already at `origin`. */
  page: Page;
  close(): Promise<void>;
}

/** Serves `handler` on a free port of 127.0.0.1 and opens Chromium at it. */
export async function openOtherOriginSite(handler: RequestListener): Promise<OtherOriginSite> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  await page.goto(origin);
  return {
    origin,
    browser,
    page,
    async close() {
      await browser.close();
      server.close();
    },
  };
}
