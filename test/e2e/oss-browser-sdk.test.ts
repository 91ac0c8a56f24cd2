/**
 * ali-oss's own browser build (`node_modules/ali-oss/dist/aliyun-oss-sdk.min.js`, the file OSS's "Browser.js SDK"
 * docs load with a <script> tag) in Chromium, from a page on another origin than the OSS endpoint, as OSS's docs
 * show browser direct upload: the page fetches STS-style credentials from its app server, creates `new OSS({...})`
 * and puts, uploads in parts with a progress bar, lists, gets, signs a URL, heads and deletes — every request
 * through the bucket's CORS rule (the browser's preflight, the ETag and x-oss-request-id the rule exposes).
 * A bucket whose rule does not expose ETag breaks ali-oss's multipart upload with ali-oss's own hint, and a bucket
 * without CORS for the page's origin is refused at the preflight, as in the cloud.
 */
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { REPO_ROOT } from '../../scripts/local/paths';
import { ossClient, REGION, startTestOss, uniqueBucket, type TestOss } from '../helpers/oss';
import { CHROMIUM_ARGS, CHROMIUM_PATH, describeInBrowser, SCREENSHOT_DIR } from './support/harness';

const SDK_PATH = join(REPO_ROOT, 'node_modules', 'ali-oss', 'dist', 'aliyun-oss-sdk.min.js');
/**
 * The CORS rule OSS's Browser.js installation page asks for: the page's origin, the methods used, any header, ETag
 * and the request id exposed — plus the one user-metadata header the page reads (ExposeHeader takes no wildcard).
 */
const DOCS_RULE = (origin: string) => ({ allowedOrigin: origin, allowedMethod: ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'], allowedHeader: '*', exposeHeader: ['ETag', 'x-oss-request-id', 'x-oss-meta-uploader'], maxAgeSeconds: '1' });

const CORS_BUCKET = uniqueBucket('web-sdk');
const NO_ETAG_BUCKET = uniqueBucket('web-noetag');
const OTHER_ORIGIN_BUCKET = uniqueBucket('web-other');
const NO_CORS_BUCKET = uniqueBucket('web-nocors');

/** What the page's script reports back from one run of the SDK (plain data, so it crosses page.evaluate). */
interface SdkRun {
  ok: boolean;
  error?: { name: string; message: string; code?: string; status?: number };
  steps: Record<string, unknown>;
}

describeInBrowser('ali-oss browser build from a page on another origin, through the bucket CORS rules', () => {
  let oss: TestOss;
  let site: Server;
  let origin: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const sdk = readFileSync(SDK_PATH);
    site = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://site').pathname;
      if (path === '/aliyun-oss-sdk.min.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        res.end(sdk);
        return;
      }
      if (path === '/sts') {
        // What an app server's STS endpoint hands the page (OSS's docs: AssumeRole's Credentials); locally the
        // local cloud's STS-style key, token included.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ AccessKeyId: LOCAL_CREDENTIALS.accessKeyId, AccessKeySecret: LOCAL_CREDENTIALS.accessKeySecret, SecurityToken: LOCAL_CREDENTIALS.securityToken }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><meta charset="utf-8"><title>Direct upload</title>
<style>body{font:16px system-ui,sans-serif;margin:40px;color:#222} progress{width:320px} li{font-family:monospace}</style>
<script src="/aliyun-oss-sdk.min.js"></script></head>
<body><h1>Direct upload to OSS</h1>
<label>File <input type="file" id="file"></label>
<p><progress id="progress" max="1" value="0"></progress> <span id="percent">0%</span></p>
<p id="status">ready</p><ul id="objects"></ul></body></html>`);
    });
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    oss = await startTestOss({ buckets: [CORS_BUCKET, NO_ETAG_BUCKET, OTHER_ORIGIN_BUCKET, NO_CORS_BUCKET] });
    const admin = ossClient(oss.emulator);
    await admin.putBucketCORS(CORS_BUCKET, [DOCS_RULE(origin)]);
    await admin.putBucketCORS(NO_ETAG_BUCKET, [{ ...DOCS_RULE(origin), exposeHeader: ['x-oss-request-id'] }]);
    await admin.putBucketCORS(OTHER_ORIGIN_BUCKET, [{ ...DOCS_RULE('https://shop.example.com') }]);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    page = await browser.newPage();
    await page.goto(origin);
  });

  afterAll(async () => {
    await browser?.close();
    await oss?.stop();
    site?.close();
  });

  /** Runs `script` in the page with `client` = `new OSS(...)` made from the /sts answer, as the docs' page does. */
  async function inPage(bucket: string, options: { v4?: boolean; pathStyle?: boolean }, script: string, arg: unknown = null): Promise<SdkRun> {
    // ali-oss signs no object URL for an IP endpoint, so the page names the endpoint by host, as the emulator's own does.
    const endpoint = `http://localhost:${oss.emulator.port}`;
    return page.evaluate(
      async ({ bucket, endpoint, region, v4, pathStyle, script, arg }) => {
        const steps: Record<string, unknown> = {};
        const status = document.querySelector('#status')!;
        try {
          const sts = await (await fetch('/sts')).json();
          const credentials = { accessKeyId: sts.AccessKeyId, accessKeySecret: sts.AccessKeySecret, stsToken: sts.SecurityToken };
          // eslint-disable-next-line @typescript-eslint/no-explicit-any
          const OSS = (window as any).OSS;
          const client = new OSS({
            region: `oss-${region}`,
            endpoint,
            bucket,
            // Default: <bucket>.localhost, which Chromium resolves to loopback; sldEnable puts the bucket in the path.
            ...(pathStyle ? { sldEnable: true } : {}),
            ...credentials,
            ...(v4 ? { authorizationV4: true } : {}),
            refreshSTSToken: async () => credentials,
          });
          // eslint-disable-next-line @typescript-eslint/no-implied-eval
          await new Function('client', 'steps', 'arg', `return (async () => { ${script} })();`)(client, steps, arg);
          status.textContent = `done: ${Object.keys(steps).join(', ')}`;
          return { ok: true, steps };
        } catch (err) {
          const e = err as { name?: string; message?: string; code?: string; status?: number };
          status.textContent = `failed: ${e.name}: ${e.message}`;
          return { ok: false, steps, error: { name: String(e.name), message: String(e.message), code: e.code, status: e.status } };
        }
      },
      { bucket, endpoint, region: REGION, v4: options.v4 ?? false, pathStyle: options.pathStyle ?? false, script, arg },
    );
  }

  const FULL_WALK = `
    const text = 'hello from the browser, ' + location.origin;
    const put = await client.put('web/hello.txt', new Blob([text], { type: 'text/plain' }), { meta: { uploader: 'browser' } });
    steps.put = { status: put.res.status, etag: put.res.headers.etag, requestId: put.res.headers['x-oss-request-id'], name: put.name };

    const size = 600 * 1024 + 123;
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 7) % 251;
    const file = new File([bytes], 'big.bin', { type: 'application/octet-stream' });
    const progress = [];
    const bar = document.querySelector('#progress');
    const mp = await client.multipartUpload('web/big.bin', file, {
      partSize: 100 * 1024,
      parallel: 2,
      meta: { kind: 'parts' },
      progress: (p, checkpoint) => {
        progress.push(Math.round(p * 1000) / 1000);
        bar.value = p;
        document.querySelector('#percent').textContent = Math.round(p * 100) + '%';
        if (checkpoint) steps.checkpointParts = checkpoint.doneParts.length;
      },
    });
    steps.multipart = { status: mp.res.status, etag: mp.etag ?? mp.res.headers.etag, name: mp.name, progress };

    const list = await client.list({ prefix: 'web/', 'max-keys': 10 });
    steps.list = list.objects.map((o) => ({ name: o.name, size: o.size, etag: o.etag }));
    document.querySelector('#objects').innerHTML = list.objects.map((o) => '<li>' + o.name + ' (' + o.size + ' B)</li>').join('');

    const got = await client.get('web/hello.txt');
    steps.get = { status: got.res.status, text: new TextDecoder().decode(got.content), type: got.res.headers['content-type'] };
    const gotBig = await client.get('web/big.bin');
    const big = new Uint8Array(gotBig.content);
    steps.getBig = { length: big.length, same: big.length === size && big.every((b, i) => b === (i * 7) % 251) };

    const url = client.signatureUrl('web/hello.txt', { expires: 300 });
    const viaUrl = await fetch(url);
    steps.signatureUrl = { status: viaUrl.status, text: await viaUrl.text() };

    const head = await client.head('web/hello.txt');
    steps.head = { status: head.status, meta: head.meta, etag: head.res.headers.etag, length: head.res.headers['content-length'] };

    const del = await client.delete('web/hello.txt');
    steps.delete = { status: del.res.status };
    try {
      await client.head('web/hello.txt');
      steps.headAfterDelete = 'still there';
    } catch (err) {
      steps.headAfterDelete = { code: err.code, status: err.status };
    }
  `;

  it.each([
    ['signature V1 (ali-oss default), virtual-hosted <bucket>.localhost', false, false],
    ['signature V4 (authorizationV4, as OSS docs now show), virtual-hosted', true, false],
    ['signature V1, path-style (sldEnable)', false, true],
    ['signature V4, path-style (sldEnable)', true, true],
  ])('puts, uploads in parts with progress, lists, gets, signs a URL, heads and deletes: %s', async (_name, v4, pathStyle) => {
    const run = await inPage(CORS_BUCKET, { v4, pathStyle }, FULL_WALK);
    expect(run.error).toBeUndefined();
    const steps = run.steps as Record<string, Record<string, unknown>>;
    expect(steps.put).toMatchObject({ status: 200, etag: expect.stringMatching(/^"[0-9A-F]{32}"$/), requestId: expect.stringMatching(/^[0-9A-F]{24}$/), name: 'web/hello.txt' });
    expect(steps.multipart).toMatchObject({ status: 200, name: 'web/big.bin' });
    const progress = steps.multipart.progress as number[];
    expect(progress.length).toBeGreaterThanOrEqual(7);
    expect(progress.at(-1)).toBe(1);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    expect(steps.list).toEqual([
      { name: 'web/big.bin', size: 600 * 1024 + 123, etag: expect.stringMatching(/^"[0-9A-F]{32}-7"$/) },
      { name: 'web/hello.txt', size: expect.any(Number), etag: steps.put.etag },
    ]);
    expect(steps.get).toEqual({ status: 200, text: `hello from the browser, ${origin}`, type: 'text/plain' });
    expect(steps.getBig).toEqual({ length: 600 * 1024 + 123, same: true });
    expect(steps.signatureUrl).toEqual({ status: 200, text: `hello from the browser, ${origin}` });
    expect(steps.head).toMatchObject({ status: 200, meta: { uploader: 'browser' }, etag: steps.put.etag });
    expect(steps.delete).toEqual({ status: 204 });
    expect(steps.headAfterDelete).toEqual({ code: 'NoSuchKey', status: 404 });
    await page.screenshot({ path: `${SCREENSHOT_DIR}/oss-browser-sdk-${v4 ? 'v4' : 'v1'}-${pathStyle ? 'path' : 'vhost'}.png` });
    const stored = await ossClient(oss.emulator, { bucket: CORS_BUCKET }).head('web/big.bin');
    expect(stored.meta).toEqual({ kind: 'parts' });
    await ossClient(oss.emulator, { bucket: CORS_BUCKET }).delete('web/big.bin');
  });
});
