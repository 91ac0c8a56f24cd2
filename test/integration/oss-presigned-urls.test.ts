/**
 * Presigned URLs with the options people pass — `signatureUrl` (V1), `asyncSignatureUrl` and `signatureUrlV4` —
 * used by plain `fetch` and by `curl`, from a client with ali-oss's default (virtual-hosted `<bucket>.localhost`)
 * addressing and from a path-style one. One row per use: what the URL is signed for, what the HTTP client sends,
 * and what OSS answers (the object, the override, or OSS's error naming what is wrong or not emulated).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { resolveLocalhostNames } from '../../scripts/local/runtime/localhost-names';
import { photoLikeJpeg } from '../helpers/image-fixtures';
import { errorCode, ossClient, startTestOss, uniqueBucket, type LooseOss, type TestOss } from '../helpers/oss';

const run = promisify(execFile);
const BUCKET = uniqueBucket('url');
let oss: TestOss;
let photo: Buffer;
let scratch: string;

beforeAll(async () => {
  resolveLocalhostNames();
  oss = await startTestOss({ buckets: [BUCKET] });
  photo = await photoLikeJpeg(200, 100, 80);
  scratch = mkdtempSync(join(tmpdir(), 'oss-urls-'));
});
afterEach(() => oss.resetClock());
afterAll(async () => {
  await oss.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function signer(pathStyle: boolean): LooseOss {
  return ossClient(oss.emulator, { bucket: BUCKET, virtualHosted: !pathStyle });
}

interface Sent {
  method: string;
  headers?: Record<string, string>;
  body?: Buffer;
}
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

async function viaFetch(url: string, sent: Sent): Promise<Answer> {
  const response = await fetch(url, { method: sent.method, headers: sent.headers ?? {}, ...(sent.body ? { body: new Uint8Array(sent.body) } : {}) });
  return { status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.from(await response.arrayBuffer()) };
}

let curlSeq = 0;
/** curl as people type it: `-T file` for a body (curl adds no Content-Type of its own then), `-I` for HEAD. */
async function viaCurl(url: string, sent: Sent): Promise<Answer> {
  const id = ++curlSeq;
  const headersFile = join(scratch, `h${id}`);
  const bodyFile = join(scratch, `b${id}`);
  const args = ['-sS', '-D', headersFile, '-o', bodyFile, '-w', '%{http_code}'];
  if (sent.method === 'HEAD') args.push('-I');
  else args.push('-X', sent.method);
  for (const [name, value] of Object.entries(sent.headers ?? {})) args.push('-H', `${name}: ${value}`);
  if (sent.body) {
    const upload = join(scratch, `u${id}`);
    writeFileSync(upload, sent.body);
    args.push('-T', upload);
  }
  const { stdout } = await run('curl', [...args, url]);
  const headers: Record<string, string> = {};
  for (const line of readFileSync(headersFile, 'latin1').split('\r\n').slice(1)) {
    const cut = line.indexOf(':');
    if (cut > 0) headers[line.slice(0, cut).toLowerCase()] = line.slice(cut + 1).trim();
  }
  return { status: Number(stdout), headers, body: sent.method === 'HEAD' ? Buffer.alloc(0) : readFileSync(bodyFile) };
}

interface Row {
  name: string;
  /** Prepares the object(s) and returns the URL, given a fresh key. */
  url: (client: LooseOss, key: string) => Promise<string>;
  sent: Sent;
  status: number;
  check?: (answer: Answer, key: string) => void | Promise<void>;
  /** OSS's error code when status ≥ 400. */
  code?: string;
  /** What the error message must name. */
  names?: RegExp;
}

const put = (client: LooseOss, key: string, body: Buffer | string = 'stored', options: object = {}) => client.put(key, Buffer.isBuffer(body) ? body : Buffer.from(body), options);
const admin = () => signer(true);

const ROWS: Row[] = [
  { name: 'signatureUrl GET', url: async (c, k) => (await put(c, k), c.signatureUrl(k, { expires: 60 })), sent: { method: 'GET' }, status: 200, check: (a) => expect(a.body.toString()).toBe('stored') },
  { name: 'signatureUrl HEAD', url: async (c, k) => (await put(c, k), c.signatureUrl(k, { method: 'HEAD', expires: 60 })), sent: { method: 'HEAD' }, status: 200, check: (a) => expect(a.headers['content-length']).toBe('6') },
  {
    name: 'signatureUrl DELETE',
    url: async (c, k) => (await put(c, k), c.signatureUrl(k, { method: 'DELETE', expires: 60 })),
    sent: { method: 'DELETE' },
    status: 204,
    check: async (_a, k) => expect(await admin().head(k).catch((err: { status: number }) => err.status)).toBe(404),
  },
  {
    name: "signatureUrl PUT with 'Content-Type', sent as signed",
    url: async (c, k) => c.signatureUrl(k, { method: 'PUT', expires: 60, 'Content-Type': 'image/jpeg' }),
    sent: { method: 'PUT', headers: { 'Content-Type': 'image/jpeg' }, body: Buffer.from('jpeg bytes') },
    status: 200,
    check: async (a, k) => {
      expect(a.headers.etag).toMatch(/^"[0-9A-F]{32}"$/);
      expect((await admin().head(k)).res.headers['content-type']).toBe('image/jpeg');
    },
  },
  {
    name: "signatureUrl PUT with 'Content-Type', sent with another type",
    url: async (c, k) => c.signatureUrl(k, { method: 'PUT', expires: 60, 'Content-Type': 'image/jpeg' }),
    sent: { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('x') },
    status: 403,
    code: 'SignatureDoesNotMatch',
    names: /signature we calculated does not match/,
  },
  {
    name: 'signatureUrl PUT with x-oss-meta-* and x-oss-forbid-overwrite headers signed',
    url: async (c, k) => c.signatureUrl(k, { method: 'PUT', expires: 60, 'x-oss-meta-owner': 'alice', 'x-oss-forbid-overwrite': 'true' }),
    sent: { method: 'PUT', headers: { 'x-oss-meta-owner': 'alice', 'x-oss-forbid-overwrite': 'true' }, body: Buffer.from('first') },
    status: 200,
    check: async (_a, k) => expect((await admin().head(k)).meta).toEqual({ owner: 'alice' }),
  },
  {
    name: 'signatureUrl PUT with x-oss-forbid-overwrite on an existing key',
    url: async (c, k) => (await put(c, k), c.signatureUrl(k, { method: 'PUT', expires: 60, 'x-oss-forbid-overwrite': 'true' })),
    sent: { method: 'PUT', headers: { 'x-oss-forbid-overwrite': 'true' }, body: Buffer.from('second') },
    status: 409,
    code: 'FileAlreadyExists',
    names: /already exists/,
  },
  {
    name: 'signatureUrl with response-content-disposition and response-content-type',
    url: async (c, k) => (await put(c, k), c.signatureUrl(k, { expires: 60, response: { 'content-disposition': 'attachment; filename="report.csv"', 'content-type': 'text/csv', 'cache-control': 'no-cache' } })),
    sent: { method: 'GET' },
    status: 200,
    check: (a) => expect([a.headers['content-disposition'], a.headers['content-type'], a.headers['cache-control']]).toEqual(['attachment; filename="report.csv"', 'text/csv', 'no-cache']),
  },
  {
    name: 'signatureUrl with process (a thumbnail)',
    url: async (c, k) => (await put(c, k, photo), c.signatureUrl(k, { expires: 60, process: 'image/resize,m_lfit,w_50/format,png' })),
    sent: { method: 'GET' },
    status: 200,
    check: async (a) => {
      const meta = await sharp(a.body).metadata();
      expect([a.headers['content-type'], meta.format, meta.width, meta.height]).toEqual(['image/png', 'png', 50, 25]);
    },
  },
  {
    name: 'signatureUrl with a process the emulator does not run (watermark)',
    url: async (c, k) => (await put(c, k, photo), c.signatureUrl(k, { expires: 60, process: 'image/watermark,text_SGVsbG8' })),
    sent: { method: 'GET' },
    status: 501,
    code: 'NotImplemented',
    names: /action &quot;watermark&quot;/,
  },
  {
    name: 'signatureUrl with trafficLimit',
    url: async (c, k) => (await put(c, k), c.signatureUrl(k, { expires: 60, trafficLimit: 819200 })),
    sent: { method: 'GET' },
    status: 200,
    check: (a) => expect(a.body.toString()).toBe('stored'),
  },
  {
    name: 'signatureUrl with a trafficLimit below OSS\'s minimum',
    url: async (c, k) => (await put(c, k), c.signatureUrl(k, { expires: 60, trafficLimit: 1000 })),
    sent: { method: 'GET' },
    status: 400,
    code: 'InvalidArgument',
    names: /x-oss-traffic-limit.*819200.*838860800/,
  },
  {
    name: 'signatureUrl PUT with an upload callback',
    url: async (c, k) => c.signatureUrl(k, { method: 'PUT', expires: 60, callback: { url: 'http://app.example.com/uploaded', body: 'bucket=${bucket}&object=${object}', customValue: { user: 'alice' } } }),
    sent: { method: 'PUT', body: Buffer.from('x') },
    status: 501,
    code: 'NotImplemented',
    names: /Upload callback/,
    check: async (_a, k) => expect(await admin().head(k).catch((err: { status: number }) => err.status)).toBe(404),
  },
  {
    name: 'signatureUrl that has expired',
    url: async (c, k) => {
      await put(c, k);
      const url = c.signatureUrl(k, { expires: 1 });
      oss.advance(5_000);
      return url;
    },
    sent: { method: 'GET' },
    status: 403,
    code: 'AccessDenied',
    names: /Request has expired/,
  },
  {
    name: "asyncSignatureUrl PUT with 'Content-Type'",
    url: async (c, k) => c.asyncSignatureUrl(k, { method: 'PUT', expires: 60, 'Content-Type': 'text/plain' }),
    sent: { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('async') },
    status: 200,
    check: async (_a, k) => expect((await admin().get(k)).content.toString()).toBe('async'),
  },
  {
    name: "signatureUrlV4 PUT with a signed 'Content-Type'",
    url: async (c, k) => c.signatureUrlV4('PUT', 60, { headers: { 'Content-Type': 'application/json' } }, k),
    sent: { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"v":4}') },
    status: 200,
    check: async (_a, k) => expect((await admin().head(k)).res.headers['content-type']).toBe('application/json'),
  },
  {
    name: "signatureUrlV4 PUT with a signed 'Content-Type', sent with another type",
    url: async (c, k) => c.signatureUrlV4('PUT', 60, { headers: { 'Content-Type': 'application/json' } }, k),
    sent: { method: 'PUT', headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('x') },
    status: 403,
    code: 'SignatureDoesNotMatch',
    names: /signature/,
  },
  {
    name: 'signatureUrlV4 GET with response-content-disposition and x-oss-process',
    url: async (c, k) => (await put(c, k, photo), c.signatureUrlV4('GET', 60, { headers: {}, queries: { 'response-content-disposition': 'inline; filename="t.webp"', 'x-oss-process': 'image/resize,w_20/format,webp' } }, k)),
    sent: { method: 'GET' },
    status: 200,
    check: async (a) => {
      expect(a.headers['content-disposition']).toBe('inline; filename="t.webp"');
      expect((await sharp(a.body).metadata()).width).toBe(20);
    },
  },
  {
    name: 'signatureUrlV4 with an additional signed header',
    url: async (c, k) => (await put(c, k), c.signatureUrlV4('GET', 60, { headers: { 'x-oss-range-behavior': 'standard', range: 'bytes=0-1' } }, k, ['range'])),
    sent: { method: 'GET', headers: { 'x-oss-range-behavior': 'standard', range: 'bytes=0-1' } },
    status: 206,
    check: (a) => expect(a.body.toString()).toBe('st'),
  },
];

let seq = 0;
describe.each([
  ['default addressing (<bucket>.localhost)', false],
  ['path-style (sldEnable)', true],
])('presigned URLs, %s', (_name, pathStyle) => {
  describe.each([
    ['fetch', viaFetch],
    ['curl', viaCurl],
  ])('through %s', (_client, send) => {
    it.each(ROWS.map((row) => [row.name, row] as const))('%s', async (_row, row) => {
      const key = `u${++seq}/file name ${seq}.txt`;
      const url = await row.url(signer(pathStyle), key);
      expect(new URL(url).host).toBe(pathStyle ? new URL(oss.emulator.endpoint).host : `${BUCKET}.${new URL(oss.emulator.endpoint).host}`);
      const answer = await send(url, row.sent);
      const text = answer.body.toString();
      const errorText = row.sent.method === 'HEAD' && answer.headers['x-oss-err'] ? Buffer.from(answer.headers['x-oss-err'], 'base64').toString() : text;
      expect({ status: answer.status, code: errorCode(errorText) }).toEqual({ status: row.status, code: row.code });
      if (row.names) expect(errorText).toMatch(row.names);
      await row.check?.(answer, key);
    });
  });
});
