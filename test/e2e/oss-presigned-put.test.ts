/**
 * What a web app does with presigned URLs: its server signs a PUT (ali-oss `signatureUrl` with a Content-Type, or
 * `signatureUrlV4`), the page uploads the picked file with `fetch` straight to OSS — a cross-origin request with a
 * Content-Type and an `x-oss-meta-*` header, so Chromium sends a CORS preflight first — reads the ETag the bucket's
 * CORS rule exposes, and shows the uploaded file through a presigned GET. A bucket whose CORS rules do not name the
 * page's origin refuses the preflight: the browser never sends the PUT and nothing is stored.
 */
import type { Page } from 'playwright-core';
import { ossClient, startTestOss, uniqueBucket, type LooseOss, type TestOss } from '../helpers/oss';
import { describeInBrowser, SCREENSHOT_DIR } from './support/harness';
import { openOtherOriginSite, type OtherOriginSite } from './support/other-origin';

const ALLOWED = uniqueBucket('cors-yes');
const DENIED = uniqueBucket('cors-no');

describeInBrowser('presigned PUT from a browser page, with CORS', () => {
  let oss: TestOss;
  let site: OtherOriginSite;
  let origin: string;
  let page: Page;

  beforeAll(async () => {
    site = await openOtherOriginSite((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html><head><meta charset="utf-8"><title>Upload</title></head><body style="font:16px system-ui;margin:40px"><h1>Upload a file</h1><p id="status">ready</p></body></html>');
    });
    ({ origin, page } = site);
    oss = await startTestOss({ buckets: [ALLOWED, DENIED] });
    const admin = ossClient(oss.emulator, { bucket: ALLOWED });
    await admin.putBucketCORS(ALLOWED, [{ allowedOrigin: origin, allowedMethod: ['GET', 'PUT'], allowedHeader: '*', exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: '1' }]);
    await admin.putBucketCORS(DENIED, [{ allowedOrigin: 'https://someone-else.example', allowedMethod: ['GET', 'PUT'], allowedHeader: '*' }]);
  });

  afterAll(async () => {
    await site?.close();
    await oss?.stop();
  });

  /** The page PUTs `text` to `putUrl` with the signed headers, then GETs `getUrl`; what the page's script sees. */
  function uploadFromPage(putUrl: string, getUrl: string, headers: Record<string, string>, text: string) {
    return page.evaluate(
      async ({ putUrl, getUrl, headers, text }) => {
        const status = document.querySelector('#status')!;
        try {
          const put = await fetch(putUrl, { method: 'PUT', headers, body: new Blob([text]) });
          const got = await fetch(getUrl);
          status.textContent = `uploaded: ${put.status}`;
          return { ok: true, status: put.status, etag: put.headers.get('etag'), requestId: put.headers.get('x-oss-request-id'), read: await got.text() };
        } catch (err) {
          status.textContent = `failed: ${String(err)}`;
          return { ok: false, error: String(err) };
        }
      },
      { putUrl, getUrl, headers, text },
    );
  }

  it.each([
    ['signatureUrl (V1), default addressing', false, false],
    ['signatureUrl (V1), path-style', false, true],
    ['signatureUrlV4, path-style', true, true],
  ])('uploads through %s after the preflight, and reads the exposed ETag', async (_name, v4, pathStyle) => {
    const key = `uploads/${v4 ? 'v4' : 'v1'}-${pathStyle ? 'path' : 'vhost'}.txt`;
    const signer: LooseOss = ossClient(oss.emulator, { bucket: ALLOWED, virtualHosted: !pathStyle });
    const headers = { 'Content-Type': 'text/plain', 'x-oss-meta-uploader': 'browser' };
    const putUrl = v4 ? await signer.signatureUrlV4('PUT', 300, { headers }, key) : signer.signatureUrl(key, { method: 'PUT', expires: 300, ...headers });
    const getUrl = signer.signatureUrl(key, { expires: 300 });
    const result = await uploadFromPage(putUrl, getUrl, headers, `sent from ${origin}`);
    expect(result).toMatchObject({ ok: true, status: 200, read: `sent from ${origin}` });
    expect(result.etag).toMatch(/^"[0-9A-F]{32}"$/);
    expect(result.requestId).toMatch(/^[0-9A-F]{24}$/);
    const head = await ossClient(oss.emulator, { bucket: ALLOWED }).head(key);
    expect([head.res.headers['content-type'], head.meta]).toEqual(['text/plain', { uploader: 'browser' }]);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/oss-presigned-put-${v4 ? 'v4' : 'v1'}-${pathStyle ? 'path' : 'vhost'}.png` });
  });

  it('is stopped at the preflight by a bucket whose CORS rules do not name the origin: nothing is stored', async () => {
    const signer = ossClient(oss.emulator, { bucket: DENIED });
    const headers = { 'Content-Type': 'text/plain' };
    const result = await uploadFromPage(signer.signatureUrl('refused.txt', { method: 'PUT', expires: 300, ...headers }), signer.signatureUrl('refused.txt', { expires: 300 }), headers, 'never stored');
    expect(result).toMatchObject({ ok: false, error: expect.stringContaining('Failed to fetch') });
    expect(oss.emulator.listObjects(DENIED, '')).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/oss-presigned-put-refused.png` });
  });
});
