/**
 * A real browser uploads to the local OSS with a PostObject form: an HTML page on another origin carries the
 * policy and signature an app server made with ali-oss, the person picks a file and submits, OSS stores it and
 * redirects back to the page. Then the same page uploads with fetch + FormData (CORS from the bucket's rule) and
 * reads the ETag; an oversized file is refused with OSS's XML error.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { ossClient, startTestOss, uniqueBucket, type TestOss } from '../helpers/oss';
import { CHROMIUM_ARGS, CHROMIUM_PATH, describeInBrowser, SCREENSHOT_DIR } from './support/harness';

const BUCKET = uniqueBucket('forms');
const MAX_BYTES = 64 * 1024;

/** A tiny PNG-ish payload; its bytes are what the test checks, not its pixels. */
const FILE_BYTES = Buffer.from('\x89PNG\r\n\x1a\n browser form upload', 'latin1');

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

describeInBrowser('PostObject from a browser form', () => {
  let oss: TestOss;
  let site: Server;
  let origin: string;
  let browser: Browser;

  /** The upload page an app server would render, with a V1 policy limiting key prefix and size. */
  function uploadPage(): string {
    const client = ossClient(oss.emulator, { bucket: BUCKET });
    const policy = { expiration: new Date(Date.now() + 600_000).toISOString(), conditions: [{ bucket: BUCKET }, ['starts-with', '$key', 'user/alice/'], ['content-length-range', 1, MAX_BYTES]] };
    const { OSSAccessKeyId, Signature, policy: encoded } = client.calculatePostSignature(policy);
    const fields: Record<string, string> = {
      key: 'user/alice/${filename}',
      OSSAccessKeyId,
      policy: encoded,
      Signature,
      'x-oss-security-token': LOCAL_CREDENTIALS.securityToken,
      success_action_redirect: `${origin}/done`,
      'x-oss-meta-uploader': 'alice',
    };
    const hidden = Object.entries(fields)
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('\n      ');
    return `<!doctype html><html><head><meta charset="utf-8"><title>Upload</title>
<style>body{font:16px system-ui,sans-serif;margin:40px;color:#222} form{border:1px solid #ccc;padding:20px;border-radius:8px;max-width:480px} button{margin-top:12px;padding:8px 16px}</style></head>
<body><h1>Upload a photo</h1>
  <form id="upload" action="${oss.emulator.endpoint}/${BUCKET}" method="post" enctype="multipart/form-data">
      ${hidden}
      <label>Photo <input type="file" name="file" id="file"></label><br>
      <button type="submit">Upload</button>
  </form>
  <p id="result"></p>
</body></html>`;
  }

  beforeAll(async () => {
    site = createServer((req, res) => {
      const url = new URL(req.url ?? '/', origin);
      if (url.pathname === '/done') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(`<!doctype html><html><body style="font:16px system-ui;margin:40px"><h1>Uploaded</h1><p id="key">${escapeHtml(url.searchParams.get('key') ?? '')}</p><p id="etag">${escapeHtml(url.searchParams.get('etag') ?? '')}</p></body></html>`);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(uploadPage());
    });
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    oss = await startTestOss({ buckets: [BUCKET], corsOrigins: [origin], maxObjectBytes: 10 * 1024 * 1024 });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await oss?.stop();
    site?.close();
  });

  it('uploads the picked file, stores it under the policy prefix and redirects back', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(origin);
      await page.setInputFiles('#file', { name: 'beach.png', mimeType: 'image/png', buffer: FILE_BYTES });
      await page.screenshot({ path: `${SCREENSHOT_DIR}/oss-post-object-form.png` });
      await Promise.all([page.waitForURL(`${origin}/done**`), page.click('button[type=submit]')]);
      expect(await page.textContent('#key')).toBe('user/alice/beach.png');
      expect(await page.textContent('#etag')).toMatch(/^"[0-9A-F]{32}"$/);
      await page.screenshot({ path: `${SCREENSHOT_DIR}/oss-post-object-done.png` });
    } finally {
      await page.close();
    }
    const got = await ossClient(oss.emulator, { bucket: BUCKET }).get('user/alice/beach.png');
    expect(got.content.equals(FILE_BYTES)).toBe(true);
    expect(got.res.headers).toMatchObject({ 'content-type': 'image/png', 'x-oss-meta-uploader': 'alice' });
    expect(oss.events.find((e) => e.key === 'user/alice/beach.png')?.eventName).toBe('ObjectCreated:PostObject');
  });

  it('uploads with fetch and FormData across origins, and shows OSS refusing an oversized file', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(origin);
      const results = await page.evaluate(async (max) => {
        const form = document.querySelector<HTMLFormElement>('#upload')!;
        const send = async (size: number, name: string) => {
          const data = new FormData(form);
          data.delete('success_action_redirect');
          data.set('file', new File([new Uint8Array(size).fill(65)], name, { type: 'text/plain' }));
          const response = await fetch(form.action, { method: 'POST', body: data });
          return { status: response.status, etag: response.headers.get('etag'), body: await response.text() };
        };
        return { small: await send(10, 'small.txt'), large: await send(max + 1, 'large.txt') };
      }, MAX_BYTES);
      expect(results.small.status).toBe(204);
      expect(results.small.etag).toMatch(/^"[0-9A-F]{32}"$/);
      expect(results.large.status).toBe(400);
      expect(results.large.body).toContain('<Code>EntityTooLarge</Code>');
    } finally {
      await page.close();
    }
    expect(oss.emulator.listObjects(BUCKET, 'user/alice/').map((o) => o.key)).toEqual(['user/alice/beach.png', 'user/alice/small.txt']);
  });
});
