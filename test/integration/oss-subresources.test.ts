/**
 * Every sub-resource OSS documents, on a bucket and on an object, with every method: the emulator answers with
 * that operation or refuses it by name (501 NotImplemented for what it does not emulate) — never with a listing
 * or another operation's success. Then the error shapes: OSS's XML with RequestId, HostId and EC, a 400 XML answer
 * to malformed HTTP, and client aborts logged as aborts.
 */
import { connect } from 'node:net';
import { KNOWN_SUBRESOURCES, NOT_EMULATED_SUBRESOURCES } from '../../scripts/local/emulators/oss/routes';
import { eventually } from '../helpers/eventually';
import { errorCode, ossClient, rawRequest, startTestOss, uniqueBucket, type TestOss } from '../helpers/oss';

let oss: TestOss;
const BUCKET = uniqueBucket('sub');
const OBJECT = 'existing.txt';
const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'];

beforeAll(async () => {
  oss = await startTestOss({ buckets: [BUCKET] });
  await ossClient(oss.emulator, { bucket: BUCKET }).put(OBJECT, Buffer.from('x'));
});
afterAll(() => oss.stop());

/** A V4-signed request for `?<name>` at bucket or object level. */
async function send(method: string, name: string, objectKey: string): Promise<{ status: number; text: string; headers: Headers }> {
  const signer = ossClient(oss.emulator, { bucket: BUCKET, v4: true });
  const url = await signer.signatureUrlV4(method, 60, { headers: {}, queries: { [name]: null } }, objectKey);
  const response = await fetch(url, { method, ...(method === 'PUT' || method === 'POST' ? { body: '' } : {}) });
  const text = await response.text();
  // A HEAD error carries its XML base64-encoded in x-oss-err.
  const err = response.headers.get('x-oss-err');
  return { status: response.status, text: method === 'HEAD' && err ? Buffer.from(err, 'base64').toString() : text, headers: response.headers };
}

describe('sub-resource table', () => {
  it('lists a bucket only when no sub-resource is named (control)', async () => {
    const plain = await send('GET', 'max-keys', '');
    expect(plain.status).toBe(200);
    expect(plain.text).toContain('<ListBucketResult>');
  });

  /**
   * The sub-resources OSS's API reference documents, written out here rather than read from the emulator's table:
   * a name dropped from (or never added to) the table must fail this test instead of silently leaving the walk —
   * `?requestPayment` once fell through to a listing (issue 11).
   */
  const DOCUMENTED = [
    'acl', 'uploads', 'uploadId', 'location', 'bucketInfo', 'stat', 'cors', 'logging', 'website', 'referer', 'lifecycle',
    'delete', 'append', 'tagging', 'objectMeta', 'symlink', 'restore', 'encryption', 'policy', 'policyStatus',
    'versioning', 'versions', 'requestPayment', 'inventory', 'worm', 'wormId', 'wormExtend', 'replication',
    'replicationLocation', 'replicationProgress', 'rtc', 'transferAcceleration', 'qos', 'qosInfo', 'resourceGroup',
    'style', 'cname', 'regionList', 'accessPoint', 'publicAccessBlock', 'httpsConfig', 'redundancyTransition',
    'accessMonitor', 'dataAccessMonitor', 'metaQuery', 'userDefinedLogFieldsConfig', 'responseHeader', 'overwriteConfig',
    'archiveDirectRead', 'asyncFetch', 'live', 'vod', 'comp', 'x-oss-process', 'x-oss-async-process', 'img', 'udf',
    'cleanRestoredObject', 'callback', 'callback-var', 'sequential', 'objectInfo', 'seal', 'notification',
  ];
  const names = [...new Set([...DOCUMENTED, ...KNOWN_SUBRESOURCES])];
  const cases = names.flatMap((name) => METHODS.flatMap((method) => [[name, method, 'bucket'] as const, [name, method, 'object'] as const]));

  it('knows every documented sub-resource: emulated or refused by name', () => {
    expect(DOCUMENTED.filter((name) => !KNOWN_SUBRESOURCES.includes(name))).toEqual([]);
  });

  it.each(cases)('?%s with %s on a %s: its own answer or a refusal naming it', async (name, method, level) => {
    const response = await send(method, name, level === 'bucket' ? '' : OBJECT);
    expect(response.text).not.toContain('<ListBucketResult>');
    expect(response.text).not.toContain('<ListAllMyBucketsResult>');
    // Not emulated, or missing from the emulator's table altogether: only a refusal naming it will do (a PUT that
    // fell through would store an object, a DELETE would delete one).
    if (NOT_EMULATED_SUBRESOURCES[name] || !KNOWN_SUBRESOURCES.includes(name)) {
      expect([response.status, errorCode(response.text)]).toEqual([501, 'NotImplemented']);
      expect(response.text).toContain(`[?${name}]`);
      return;
    }
    if (response.status >= 400) {
      expect(errorCode(response.text)).toMatch(/^[A-Z][A-Za-z]+$/);
      expect(response.text).toContain(`<RequestId>${response.headers.get('x-oss-request-id')}</RequestId>`);
    }
    // The object itself must never come back from a request that names a sub-resource.
    if (method === 'GET' && level === 'object' && name !== 'symlink') expect(response.text).not.toBe('x');
  });
});

describe('error shapes', () => {
  it('answers with OSS XML: Code, Message, RequestId, HostId, EC and RecommendDoc, and x-oss-ec', async () => {
    const response = await fetch(ossClient(oss.emulator, { bucket: BUCKET }).signatureUrl('missing.txt', { expires: 60 }));
    const text = await response.text();
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/xml');
    expect(response.headers.get('x-oss-ec')).toBe('0026-00000001');
    expect(text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><RequestId>[0-9A-F]{24}<\/RequestId><HostId>localhost:\d+<\/HostId><Key>missing.txt<\/Key><EC>0026-00000001<\/EC><RecommendDoc>https:\/\/api.aliyun.com\/troubleshoot\?q=0026-00000001<\/RecommendDoc><\/Error>$/,
    );
  });

  it('answers an unknown method with 405 MethodNotAllowed', async () => {
    const response = await rawRequest(oss.emulator.port, 'PATCH', `/${BUCKET}/${OBJECT}`);
    expect([response.status, errorCode(response.text)]).toEqual([405, 'MethodNotAllowed']);
  });

  /** Writes raw bytes on a socket and reads what comes back until the server closes it. */
  function rawExchange(bytes: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(oss.emulator.port, '127.0.0.1', () => socket.write(bytes));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
      socket.on('error', reject);
    });
  }

  it.each([
    ['both Content-Length and chunked encoding', `PUT /${BUCKET}/smuggled HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ['a broken request line', 'GARBAGE\r\n\r\n'],
    ['an invalid header name', `GET /${BUCKET}/x HTTP/1.1\r\nHost: localhost\r\nBad Header: 1\r\n\r\n`],
  ])('answers malformed HTTP (%s) with 400 and an XML body, not a dropped connection', async (_what, request) => {
    const answer = await rawExchange(request);
    expect(answer).toMatch(/^HTTP\/1.1 400 Bad Request\r\n/);
    expect(answer).toContain('x-oss-request-id: ');
    expect(answer).toMatch(/<Error><Code>InvalidRequest<\/Code><Message>[^<]+<\/Message><RequestId>[0-9A-F]{24}<\/RequestId>/);
    expect(oss.emulator.listObjects(BUCKET, 'smuggled')).toEqual([]);
  });

  it('logs a client that disconnects mid-upload as an abort, not an internal error, and stores nothing', async () => {
    const signer = ossClient(oss.emulator, { bucket: BUCKET });
    const url = new URL(signer.signatureUrl('aborted.bin', { method: 'PUT', expires: 60 }));
    const before = oss.aborts.length;
    await new Promise<void>((resolve) => {
      const socket = connect(oss.emulator.port, '127.0.0.1', () => {
        socket.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048576\r\n\r\n`);
        socket.write(Buffer.alloc(64 * 1024, 1), () => {
          socket.destroy();
          resolve();
        });
      });
    });
    await eventually(() => expect(oss.aborts.length).toBeGreaterThan(before));
    expect(oss.aborts.at(-1)).toMatchObject({ method: 'PUT', url: `${url.pathname}${url.search}` });
    expect(oss.internalErrors).toEqual([]);
    expect(oss.emulator.listObjects(BUCKET, 'aborted.bin')).toEqual([]);
  });

  it('logs a client that hangs up mid-download as an abort naming the request (D167: it named none)', async () => {
    const signer = ossClient(oss.emulator, { bucket: BUCKET });
    await signer.put('big-download.bin', Buffer.alloc(32 * 1024 * 1024, 7));
    const url = new URL(signer.signatureUrl('big-download.bin', { expires: 60 }));
    const before = oss.aborts.length;
    let requestId = '';
    await new Promise<void>((resolve) => {
      const socket = connect(oss.emulator.port, '127.0.0.1', () => socket.write(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: localhost\r\n\r\n`));
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        if (received === 0) requestId = /x-oss-request-id: (\w+)/i.exec(chunk.toString('latin1'))?.[1] ?? '';
        received += chunk.length;
        if (received > 1024 * 1024 && !socket.destroyed) {
          socket.resetAndDestroy();
          resolve();
        }
      });
    });
    await eventually(() => expect(oss.aborts.length).toBeGreaterThan(before));
    expect(requestId).not.toBe('');
    expect(oss.aborts.slice(before)).toContainEqual(expect.objectContaining({ requestId, method: 'GET', url: `${url.pathname}${url.search}` }));
    expect(oss.internalErrors).toEqual([]);
  });
});
