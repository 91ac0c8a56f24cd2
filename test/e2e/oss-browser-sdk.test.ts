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
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { REPO_ROOT } from '../../scripts/local/paths';
import { errorCode, ossClient, rawRequest, REGION, startTestOss, uniqueBucket, type TestOss } from '../helpers/oss';
import { describeInBrowser, SCREENSHOT_DIR } from './support/harness';
import { openOtherOriginSite, type OtherOriginSite } from './support/other-origin';

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
  let site: OtherOriginSite;
  let origin: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const sdk = readFileSync(SDK_PATH);
    site = await openOtherOriginSite((req, res) => {
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
    ({ origin, browser, page } = site);
    oss = await startTestOss({ buckets: [CORS_BUCKET, NO_ETAG_BUCKET, OTHER_ORIGIN_BUCKET, NO_CORS_BUCKET] });
    const admin = ossClient(oss.emulator);
    await admin.putBucketCORS(CORS_BUCKET, [DOCS_RULE(origin)]);
    await admin.putBucketCORS(NO_ETAG_BUCKET, [{ ...DOCS_RULE(origin), exposeHeader: ['x-oss-request-id'] }]);
    await admin.putBucketCORS(OTHER_ORIGIN_BUCKET, [{ ...DOCS_RULE('https://shop.example.com') }]);
  });

  afterAll(async () => {
    await site?.close();
    await oss?.stop();
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
    const steps = run.steps as Record<'put' | 'multipart', Record<string, unknown>> & Record<string, unknown>;
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

  it('resumes a cancelled multipartUpload from its checkpoint, as OSS\'s "resumable upload in a browser" page shows', async () => {
    const run = await inPage(CORS_BUCKET, {}, `
      const size = 500 * 1024;
      const bytes = new Uint8Array(size).map((_, i) => i % 256);
      const file = new File([bytes], 'resume.bin');
      let checkpoint;
      try {
        await client.multipartUpload('web/resume.bin', file, {
          partSize: 100 * 1024,
          parallel: 1,
          progress: (p, cpt) => {
            checkpoint = cpt;
            if (cpt && cpt.doneParts.length === 2) client.cancel();
          },
        });
        steps.cancelled = false;
      } catch (err) {
        steps.cancelled = client.isCancel();
      }
      steps.doneBeforeResume = checkpoint.doneParts.length;
      const uploads = await client.listUploads({ prefix: 'web/resume' });
      steps.pending = uploads.uploads.map((u) => u.uploadId === checkpoint.uploadId);
      const done = await client.multipartUpload('web/resume.bin', file, { checkpoint, partSize: 100 * 1024 });
      steps.resumed = done.res.status;
      const got = new Uint8Array((await client.get('web/resume.bin')).content);
      steps.same = got.length === size && got.every((b, i) => b === i % 256);
      await client.delete('web/resume.bin');
    `);
    expect(run.error).toBeUndefined();
    expect(run.steps).toEqual({ cancelled: true, doneBeforeResume: 2, pending: [true], resumed: 200, same: true });
  });

  it('what pages reach for next: a non-ASCII key, copy, append, tagging, image processing and abortMultipartUpload', async () => {
    await ossClient(oss.emulator, { bucket: CORS_BUCKET }).putBucketCORS(CORS_BUCKET, [{ ...DOCS_RULE(origin), exposeHeader: ['ETag', 'x-oss-request-id', 'x-oss-next-append-position'] }]);
    const png = await sharp({ create: { width: 64, height: 32, channels: 3, background: '#3a7' } }).png().toBuffer();
    try {
      const run = await inPage(
        CORS_BUCKET,
        {},
        `
        const named = await client.put('web/照片 1+1.txt', new Blob(['named']));
        steps.named = (await client.list({ prefix: 'web/照片' })).objects.map((o) => o.name);
        steps.copy = (await client.copy('web/copy of 照片.txt', 'web/照片 1+1.txt')).res.status;
        const first = await client.append('web/log.txt', new Blob(['one ']));
        const second = await client.append('web/log.txt', new Blob(['two']), { position: first.nextAppendPosition });
        steps.append = [first.nextAppendPosition, second.nextAppendPosition, new TextDecoder().decode((await client.get('web/log.txt')).content)];
        await client.putObjectTagging('web/log.txt', { kind: 'log' });
        steps.tags = (await client.getObjectTagging('web/log.txt')).tag;
        await client.put('web/pic.png', new Blob([new Uint8Array(arg)], { type: 'image/png' }));
        const thumb = await client.get('web/pic.png', { process: 'image/resize,w_16' });
        const bitmap = await createImageBitmap(new Blob([thumb.content]));
        steps.thumb = [thumb.res.headers['content-type'], bitmap.width, bitmap.height];
        const init = await client.initMultipartUpload('web/abandoned.bin');
        await client.abortMultipartUpload('web/abandoned.bin', init.uploadId);
        steps.uploadsLeft = (await client.listUploads({ prefix: 'web/abandoned' })).uploads.length;
        await client.deleteMulti(['web/照片 1+1.txt', 'web/copy of 照片.txt', 'web/log.txt', 'web/pic.png']);
        steps.left = (await client.list({ prefix: 'web/' })).objects?.length ?? 0;
      `,
        [...png],
      );
      expect(run.error).toBeUndefined();
      expect(run.steps).toEqual({
        named: ['web/照片 1+1.txt'],
        copy: 200,
        append: ['4', '7', 'one two'],
        tags: { kind: 'log' },
        thumb: ['image/png', 16, 8],
        uploadsLeft: 0,
        left: 0,
      });
    } finally {
      await ossClient(oss.emulator, { bucket: CORS_BUCKET }).putBucketCORS(CORS_BUCKET, [DOCS_RULE(origin)]);
    }
  });

  it('with a rule that does not expose ETag, put works but multipartUpload stops with ali-oss\'s own hint, as in the cloud', async () => {
    const run = await inPage(NO_ETAG_BUCKET, {}, `
      steps.put = (await client.put('web/small.txt', new Blob(['small']))).res.status;
      await client.multipartUpload('web/parts.bin', new File([new Uint8Array(250 * 1024)], 'parts.bin'), { partSize: 100 * 1024 });
    `);
    expect(run.steps.put).toBe(200);
    expect(run.error?.message).toContain('Please set the etag of expose-headers in OSS');
    expect(oss.emulator.listObjects(NO_ETAG_BUCKET, 'web/').map((o) => o.key)).toEqual(['web/small.txt']);
  });

  /** The preflights Chromium sends, with OSS's answer, seen through the DevTools protocol while `action` runs. */
  async function preflightsDuring<T>(action: () => Promise<T>): Promise<{ result: T; preflights: Array<{ url: string; status: number; allowOrigin?: string }> }> {
    const cdp = await page.context().newCDPSession(page);
    const preflights: Array<{ url: string; status: number; allowOrigin?: string }> = [];
    cdp.on('Network.responseReceived', (event) => {
      if (event.type !== 'Preflight') return;
      const headers = Object.fromEntries(Object.entries(event.response.headers).map(([k, v]) => [k.toLowerCase(), String(v)]));
      preflights.push({ url: event.response.url, status: event.response.status, ...(headers['access-control-allow-origin'] ? { allowOrigin: headers['access-control-allow-origin'] } : {}) });
    });
    await cdp.send('Network.enable');
    try {
      return { result: await action(), preflights };
    } finally {
      await cdp.detach();
    }
  }

  it.each([
    ['has CORS rules for another origin only', OTHER_ORIGIN_BUCKET],
    ['has no CORS configuration at all', NO_CORS_BUCKET],
  ])('a bucket that %s: the preflight gets OSS\'s 403, the browser never sends the PUT, nothing is stored', async (_name, bucket) => {
    const { result: run, preflights } = await preflightsDuring(() => inPage(bucket, {}, `await client.put('web/blocked.txt', new Blob(['never stored']));`));
    expect(run.error).toMatchObject({ status: -1, message: expect.stringContaining('XHR error') });
    expect(preflights).toEqual([{ url: expect.stringContaining('/web/blocked.txt'), status: 403 }]);
    // The answer Chromium got, asked again the same way: OSS's XML error and no Access-Control-* header.
    const answer = await rawRequest(oss.emulator.port, 'OPTIONS', `/${bucket}/web/blocked.txt`, { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type,x-oss-date,x-oss-security-token,x-oss-user-agent' });
    expect([answer.status, errorCode(answer.text), Object.keys(answer.headers).filter((h) => h.startsWith('access-control-'))]).toEqual([403, 'AccessForbidden', []]);
    expect(oss.emulator.listObjects(bucket, 'web/')).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/oss-browser-sdk-blocked.png` });
  });

  it('the preflight of an allowed origin is answered 200 with the rule\'s headers, and the exposed ones reach the page', async () => {
    const { result: run, preflights } = await preflightsDuring(() => inPage(CORS_BUCKET, {}, `
      const put = await client.put('web/preflight.txt', new Blob(['ok']), { meta: { uploader: 'page' } });
      steps.exposed = { etag: put.res.headers.etag, requestId: put.res.headers['x-oss-request-id'], crc: put.res.headers['x-oss-hash-crc64ecma'] ?? null };
      await client.delete('web/preflight.txt');
    `));
    expect(run.error).toBeUndefined();
    expect(preflights).toContainEqual({ url: expect.stringContaining('/web/preflight.txt'), status: 200, allowOrigin: origin });
    // What the rule does not expose stays hidden from the page, as in the cloud.
    expect(run.steps.exposed).toEqual({ etag: expect.stringMatching(/^"[0-9A-F]{32}"$/), requestId: expect.stringMatching(/^[0-9A-F]{24}$/), crc: null });
  });

  /** PostObject fields an app server signs for the page (V1 policy with the STS token). */
  function postFields(bucket: string, extra: Record<string, string>): Record<string, string> {
    const signer = ossClient(oss.emulator, { bucket });
    const { OSSAccessKeyId, Signature, policy } = signer.calculatePostSignature({ expiration: new Date(Date.now() + 600_000).toISOString(), conditions: [{ bucket }, ['starts-with', '$key', 'forms/']] });
    return { OSSAccessKeyId, Signature, policy, 'x-oss-security-token': LOCAL_CREDENTIALS.securityToken, ...extra };
  }

  it('PostObject with fetch + FormData: success_action_status 200 and 201 (the XML PostResponse) read by the page through CORS', async () => {
    const action = `http://localhost:${oss.emulator.port}/${CORS_BUCKET}`;
    const answers = await page.evaluate(
      async ({ action, forms }) => {
        const out = [];
        for (const fields of forms) {
          const data = new FormData();
          for (const [name, value] of Object.entries(fields)) data.append(name, value);
          data.append('file', new File(['posted from the page'], 'note.txt', { type: 'text/plain' }));
          const response = await fetch(action, { method: 'POST', body: data });
          out.push({ status: response.status, etag: response.headers.get('etag'), body: await response.text() });
        }
        return out;
      },
      { action, forms: [postFields(CORS_BUCKET, { key: 'forms/200.txt', success_action_status: '200' }), postFields(CORS_BUCKET, { key: 'forms/201.txt', success_action_status: '201' })] },
    );
    expect(answers[0]).toEqual({ status: 200, etag: expect.stringMatching(/^"[0-9A-F]{32}"$/), body: '' });
    expect(answers[1]).toMatchObject({ status: 201, etag: answers[0]!.etag });
    expect(answers[1]!.body).toMatch(/<PostResponse><Bucket>[^<]+<\/Bucket><Location>[^<]+forms\/201\.txt<\/Location><Key>forms\/201\.txt<\/Key><ETag>/);
  });

  it('to a bucket without CORS, a form POST still uploads (forms are not CORS requests) while fetch cannot read the answer — as in the cloud', async () => {
    const action = `http://localhost:${oss.emulator.port}/${NO_CORS_BUCKET}`;
    const fetched = await page.evaluate(
      async ({ action, fields }) => {
        const data = new FormData();
        for (const [name, value] of Object.entries(fields)) data.append(name, value);
        data.append('file', new File(['sent by fetch'], 'fetched.txt', { type: 'text/plain' }));
        try {
          await fetch(action, { method: 'POST', body: data });
          return 'read';
        } catch (err) {
          return String(err);
        }
      },
      { action, fields: postFields(NO_CORS_BUCKET, { key: 'forms/fetched.txt' }) },
    );
    // A multipart POST is a "simple" request: no preflight, so OSS stores it; the page just may not read the answer.
    expect(fetched).toContain('Failed to fetch');
    expect(oss.emulator.listObjects(NO_CORS_BUCKET, 'forms/').map((o) => o.key)).toEqual(['forms/fetched.txt']);

    const formPage = await browser.newPage();
    try {
      const fields = postFields(NO_CORS_BUCKET, { key: 'forms/${filename}', success_action_status: '201' });
      await formPage.goto(origin);
      await formPage.evaluate(
        ({ action, fields }) => {
          const form = document.createElement('form');
          Object.assign(form, { action, method: 'post', enctype: 'multipart/form-data' });
          for (const [name, value] of Object.entries(fields)) {
            const input = Object.assign(document.createElement('input'), { type: 'hidden', name, value });
            form.append(input);
          }
          form.insertAdjacentHTML('beforeend', '<label>File <input type="file" name="file" id="form-file"></label><button type="submit">Upload</button>');
          document.body.append(form);
        },
        { action, fields },
      );
      await formPage.setInputFiles('#form-file', { name: 'picked.txt', mimeType: 'text/plain', buffer: Buffer.from('picked in a form') });
      const [response] = await Promise.all([formPage.waitForNavigation(), formPage.click('button[type=submit]')]);
      expect(response?.status()).toBe(201);
      expect(await formPage.content()).toContain('forms/picked.txt');
      await formPage.screenshot({ path: `${SCREENSHOT_DIR}/oss-browser-sdk-form-201.png` });
    } finally {
      await formPage.close();
    }
    const stored = await ossClient(oss.emulator, { bucket: NO_CORS_BUCKET }).get('forms/picked.txt');
    expect(stored.content.toString()).toBe('picked in a form');
  });
});
