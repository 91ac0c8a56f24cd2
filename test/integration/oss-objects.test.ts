/**
 * Object features through ali-oss (default V1 client): append, symlinks, tagging, ACLs, storage class and SSE
 * headers, RestoreObject on the emulator clock, copy preconditions, forbid-overwrite, and the multipart extras
 * (ListMultipartUploads, ListParts, UploadPartCopy with ranges, abort, headers kept from the initiation).
 */
import { createHash } from 'node:crypto';
import { Crc64 } from '../../scripts/local/emulators/oss/crc64';
import { SEND_CHUNK_BYTES } from '../../scripts/local/emulators/oss/send-file';
import { ossClient, startTestOss, uniqueBucket, type LooseOss, type TestOss } from '../helpers/oss';

let oss: TestOss;
let client: LooseOss;
const BUCKET = uniqueBucket('obj');
let seq = 0;
const key = (name: string) => `o${++seq}/${name}`;
const md5Hex = (b: Buffer) => createHash('md5').update(b).digest('hex').toUpperCase();

beforeAll(async () => {
  oss = await startTestOss({ buckets: [BUCKET] });
  client = ossClient(oss.emulator, { bucket: BUCKET });
});
afterEach(() => oss.resetClock());
afterAll(() => oss.stop());

describe('AppendObject', () => {
  it('creates an Appendable object at position 0 and appends at its length', async () => {
    const k = key('app.log');
    const first = await client.append(k, Buffer.from('line 1\n'));
    expect(first.nextAppendPosition).toBe('7');
    const second = await client.append(k, Buffer.from('line 2\n'), { position: first.nextAppendPosition });
    expect(second.nextAppendPosition).toBe('14');
    const got = await client.get(k);
    expect(got.content.toString()).toBe('line 1\nline 2\n');
    expect(got.res.headers).toMatchObject({ 'x-oss-object-type': 'Appendable', 'x-oss-next-append-position': '14' });
    expect(got.res.headers['x-oss-hash-crc64ecma']).toBe(new Crc64().update(Buffer.from('line 1\nline 2\n')).digest());
    expect(oss.events.filter((e) => e.key === k).map((e) => e.eventName)).toEqual(['ObjectCreated:AppendObject', 'ObjectCreated:AppendObject']);
  });

  it('refuses a wrong position with 409 PositionNotEqualToLength and a Normal object with ObjectNotAppendable', async () => {
    const k = key('app2.log');
    await client.append(k, Buffer.from('abc'));
    await expect(client.append(k, Buffer.from('x'), { position: '2' })).rejects.toMatchObject({ status: 409, code: 'PositionNotEqualToLength' });
    await expect(client.append(k, Buffer.from('x'), { position: '0' })).rejects.toMatchObject({ status: 409, code: 'PositionNotEqualToLength' });
    const normal = key('normal.txt');
    await client.put(normal, Buffer.from('n'));
    await expect(client.append(normal, Buffer.from('x'), { position: '1' })).rejects.toMatchObject({ status: 409, code: 'ObjectNotAppendable' });
    expect((await client.get(k)).content.toString()).toBe('abc');
  });
});

describe('Symlinks', () => {
  it('PutSymlink / GetSymlink, and GET through the link reads the target', async () => {
    const target = key('target.txt');
    const link = key('link');
    await client.put(target, Buffer.from('the target'), { mime: 'text/plain' });
    await client.putSymlink(link, target);
    expect((await client.getSymlink(link)).targetName).toBe(target);
    expect((await client.get(link)).content.toString()).toBe('the target');
    await expect(client.getSymlink(target)).rejects.toMatchObject({ status: 400, code: 'NotSymlink' });
    await client.delete(target);
    await expect(client.get(link)).rejects.toMatchObject({ status: 404, code: 'SymlinkTargetNotExist' });
    expect(oss.events.find((e) => e.key === link)?.eventName).toBe('ObjectCreated:PutSymlink');
  });

  it('honours x-oss-forbid-overwrite', async () => {
    const link = key('link2');
    await client.putSymlink(link, 'a');
    await expect(client.putSymlink(link, 'b', { headers: { 'x-oss-forbid-overwrite': 'true' } })).rejects.toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    expect((await client.getSymlink(link)).targetName).toBe('a');
  });
});

describe('User metadata', () => {
  it('refuses x-oss-meta-* headers over 8 KB in all, storing nothing (D147: was stored)', async () => {
    const k = key('meta.txt');
    // 8 KB of names and values in all is the limit (OSS EC 0011-00000002); ali-oss adds the x-oss-meta- prefix.
    const meta = { big: 'm'.repeat(8192 - 'x-oss-meta-big'.length), more: 'x' } as unknown as Record<string, string>;
    await expect(client.put(k, Buffer.from('data'), { meta })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringContaining('metadata') });
    await expect(client.head(k)).rejects.toMatchObject({ status: 404 });
    await expect(client.initMultipartUpload(k, { meta })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
    const fits = { big: 'm'.repeat(8192 - 'x-oss-meta-big'.length) } as unknown as Record<string, string>;
    await client.put(k, Buffer.from('data'), { meta: fits });
    expect((await client.head(k)).meta).toEqual({ big: fits.big });
  });
});

describe('Content-Type', () => {
  it('comes from the key\'s extension when a PUT sends none, as on OSS', async () => {
    // A byte body: fetch adds no Content-Type of its own.
    const put = (k: string) => fetch(client.signatureUrl(k, { method: 'PUT', expires: 60 }), { method: 'PUT', body: new Uint8Array(Buffer.from('<p>hi</p>')) });
    const page = key('page.HTML');
    const bare = key('no-extension');
    expect((await put(page)).status).toBe(200);
    expect((await put(bare)).status).toBe(200);
    expect((await client.head(page)).res.headers['content-type']).toBe('text/html');
    expect((await client.head(bare)).res.headers['content-type']).toBe('application/octet-stream');
  });
});

describe('Tagging and ACL', () => {
  it('sets tags by header and by API, counts them on GET, and deletes them', async () => {
    const k = key('tagged.txt');
    await client.put(k, Buffer.from('t'), { headers: { 'x-oss-tagging': 'a=1&b=two%20words' } });
    expect((await client.getObjectTagging(k)).tag).toEqual({ a: '1', b: 'two words' });
    expect((await client.head(k)).res.headers['x-oss-tagging-count']).toBe('2');
    await client.putObjectTagging(k, { only: 'one' });
    expect((await client.getObjectTagging(k)).tag).toEqual({ only: 'one' });
    await client.deleteObjectTagging(k);
    expect((await client.getObjectTagging(k)).tag).toEqual({});
    await expect(client.putObjectTagging(key('missing'), { a: 'b' })).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
  });

  it('refuses malformed and duplicate tags with the error centre EC, storing nothing and keeping the old tags (D167)', async () => {
    // `aa=bb=cc` is not key or key=value (EC 0010-00000219); a key twice is a duplicate (EC 0010-00000217).
    for (const [tagging, ec] of [['aa=bb=cc', '0010-00000219'], ['a=1&a=2', '0010-00000217']] as const) {
      const k = key('badtags.txt');
      await expect(client.put(k, Buffer.from('t'), { headers: { 'x-oss-tagging': tagging } })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument', ecCode: ec });
      expect(oss.emulator.listObjects(BUCKET, k)).toEqual([]);
    }
    const k = key('dup.txt');
    await client.put(k, Buffer.from('t'), { headers: { 'x-oss-tagging': 'keep=me' } });
    // ali-oss takes tags as an object, so the duplicate goes out the way another client would send it.
    const xml = '<Tagging><TagSet><Tag><Key>A</Key><Value>1</Value></Tag><Tag><Key>A</Key><Value>2</Value></Tag></TagSet></Tagging>';
    const put = client.request({ ...client._objectRequestParams('PUT', k, { subres: 'tagging' }), content: Buffer.from(xml), mime: 'xml', successStatuses: [200] });
    await expect(put).rejects.toMatchObject({ status: 400, code: 'InvalidArgument', ecCode: '0010-00000210' });
    expect((await client.getObjectTagging(k)).tag).toEqual({ keep: 'me' });
  });

  it('stores the object ACL from the header and the API', async () => {
    const k = key('acl.txt');
    await client.put(k, Buffer.from('a'));
    expect((await client.getACL(k)).acl).toBe('default');
    await client.put(k, Buffer.from('a'), { headers: { 'x-oss-object-acl': 'public-read' } });
    expect((await client.getACL(k)).acl).toBe('public-read');
    await expect(client.put(k, Buffer.from('a'), { headers: { 'x-oss-object-acl': 'everyone' } })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('serves a public-read object to anonymous readers but refuses them response-* overrides, as OSS does (D167)', async () => {
    const k = key('public.txt');
    await client.put(k, Buffer.from('p'), { headers: { 'x-oss-object-acl': 'public-read' } });
    const anonymous = `${oss.emulator.endpoint}/${BUCKET}/${k}`;
    expect((await fetch(anonymous)).status).toBe(200);
    for (const param of ['response-content-disposition=attachment', 'response-content-type=text/html']) {
      const response = await fetch(`${anonymous}?${param}`);
      expect([response.status, /<Code>(\w+)<\/Code>/.exec(await response.text())?.[1]]).toEqual([400, 'InvalidRequest']);
    }
    // Signed, the same override is taken.
    const signed = await fetch(client.signatureUrl(k, { expires: 60, response: { 'content-disposition': 'attachment' } }));
    expect([signed.status, signed.headers.get('content-disposition')]).toEqual([200, 'attachment']);
  });
});

describe('Object tag limits: one set for the XML and the header (D175)', () => {
  // PutObjectTagging's usage notes: at most 10 tags, keys unique, a key 1-128 characters and a value at most 256,
  // both of letters, digits, spaces and + - = . _ : /. The error centre names each case of the XML body
  // (0010-00000209/210/212/214/216/218) and one for the header (0010-00000217); the Code is InvalidArgument.
  const allowed = 'Az09 +-=._:/';
  const longest = { ['k'.repeat(128 - allowed.length) + allowed]: 'v'.repeat(256 - allowed.length) + allowed };
  const ten = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, `v${i}`]));
  const eleven = { ...ten, k10: 'v10' };
  const header = (tags: Record<string, string> | [string, string][]) => (Array.isArray(tags) ? tags : Object.entries(tags)).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  /** PutObjectTagging as another client would send it: ali-oss checks most limits itself before sending. */
  const putTagXml = (k: string, tags: [string, string][]) => {
    const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    const xml = `<Tagging><TagSet>${tags.map(([tk, tv]) => `<Tag><Key>${esc(tk)}</Key><Value>${esc(tv)}</Value></Tag>`).join('')}</TagSet></Tagging>`;
    return client.request({ ...client._objectRequestParams('PUT', k, { subres: 'tagging' }), content: Buffer.from(xml), mime: 'xml', successStatuses: [200] });
  };
  const refused = (ec: string) => ({ status: 400, code: 'InvalidArgument', ecCode: ec });
  const BAD: [string, [string, string][], string][] = [
    ['eleven tags', Object.entries(eleven), '0010-00000218'],
    ['a key of 129 characters', [['k'.repeat(129), 'v']], '0010-00000209'],
    ['a value of 257 characters', [['k', 'v'.repeat(257)]], '0010-00000214'],
    ['a key with @', [['team@x', 'v']], '0010-00000212'],
    ['a value with #', [['k', 'a#b']], '0010-00000216'],
    ['a key twice', [['a', '1'], ['a', '2']], '0010-00000210'],
  ];

  it('takes the largest set the limits allow by either way in', async () => {
    const k = key('limits.txt');
    await client.put(k, Buffer.from('t'), { headers: { 'x-oss-tagging': header(longest) } });
    expect((await client.getObjectTagging(k)).tag).toEqual(longest);
    await client.putObjectTagging(k, ten);
    expect((await client.getObjectTagging(k)).tag).toEqual(ten);
    await client.putObjectTagging(k, longest);
    expect((await client.getObjectTagging(k)).tag).toEqual(longest);
    await client.put(k, Buffer.from('t'), { headers: { 'x-oss-tagging': header(ten) } });
    expect((await client.head(k)).res.headers['x-oss-tagging-count']).toBe('10');
  });

  it.each(BAD)('PutObjectTagging refuses %s with its own EC and keeps the tags it had', async (_case, tags, ec) => {
    const k = key('xml-limits.txt');
    await client.put(k, Buffer.from('t'), { headers: { 'x-oss-tagging': 'keep=me' } });
    await expect(putTagXml(k, tags)).rejects.toMatchObject(refused(ec));
    expect((await client.getObjectTagging(k)).tag).toEqual({ keep: 'me' });
  });

  it('PutObjectTagging from ali-oss itself: a character its own check lets through is refused by the emulator', async () => {
    // ali-oss 6.x checks tags against /^[a-zA-Z0-9 +-=._:/]+$/, whose "+-=" is a range taking , ; < too.
    const k = key('sdk-chars.txt');
    await client.put(k, Buffer.from('t'));
    await expect(client.putObjectTagging(k, { 'a;b': 'v' })).rejects.toMatchObject(refused('0010-00000212'));
    await expect(client.putObjectTagging(k, { k: 'a,b' })).rejects.toMatchObject(refused('0010-00000216'));
    expect((await client.getObjectTagging(k)).tag).toEqual({});
  });

  it.each(BAD)('x-oss-tagging on PutObject, CopyObject and InitiateMultipartUpload refuses %s (EC 0010-00000217), storing nothing', async (_case, tags) => {
    const tagging = header(tags);
    const source = key('tag-source.txt');
    await client.put(source, Buffer.from('s'));
    const target = key('tag-target.txt');
    await expect(client.put(target, Buffer.from('t'), { headers: { 'x-oss-tagging': tagging } })).rejects.toMatchObject(refused('0010-00000217'));
    await expect(client.copy(target, source, { headers: { 'x-oss-tagging': tagging, 'x-oss-tagging-directive': 'Replace' } })).rejects.toMatchObject(refused('0010-00000217'));
    await expect(client.initMultipartUpload(target, { headers: { 'x-oss-tagging': tagging } })).rejects.toMatchObject(refused('0010-00000217'));
    expect(oss.emulator.listObjects(BUCKET, target)).toEqual([]);
    expect((await client.listUploads({ prefix: target })).uploads).toEqual([]);
  });
});

describe('Storage class, server-side encryption, RestoreObject', () => {
  it('stores and echoes storage class and SSE headers, and refuses unknown values', async () => {
    const k = key('kms.bin');
    const put = await client.put(k, Buffer.from('k'), { headers: { 'x-oss-storage-class': 'IA', 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'key-1' } });
    expect(put.res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'key-1' });
    expect((await client.head(k)).res.headers).toMatchObject({ 'x-oss-storage-class': 'IA', 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': 'key-1' });
    await expect(client.put(k, Buffer.from('k'), { headers: { 'x-oss-storage-class': 'Glacier' } })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
    await expect(client.put(k, Buffer.from('k'), { headers: { 'x-oss-server-side-encryption': 'ROT13' } })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('restores an Archive object on the clock: 202, 409 while in progress, readable, 200 to extend, unreadable after expiry', async () => {
    const k = key('cold.tar');
    await client.put(k, Buffer.from('frozen'), { headers: { 'x-oss-storage-class': 'Archive' } });
    await expect(client.get(k)).rejects.toMatchObject({ status: 403, code: 'InvalidObjectState' });
    expect((await client.restore(k)).res.status).toBe(202);
    expect((await client.head(k)).res.headers['x-oss-restore']).toBe('ongoing-request="true"');
    await expect(client.restore(k)).rejects.toMatchObject({ status: 409, code: 'RestoreAlreadyInProgress' });

    // The emulator's clock moves 61 s; requests are signed with the real time, within OSS's 15-minute skew.
    oss.advance(61_000);
    expect((await client.get(k)).content.toString()).toBe('frozen');
    expect((await client.head(k)).res.headers['x-oss-restore']).toMatch(/^ongoing-request="false", expiry-date="/);
    // Already restored: OSS answers 200 and extends the copy (ali-oss counts only 202 as success).
    await expect(client.restore(k, { Days: 1 })).rejects.toMatchObject({ status: 200 });
    // Past the expiry the object is frozen again (a V1 URL carries no request date, so the clock may move days).
    const url = client.signatureUrl(k, { expires: 7 * 86_400 });
    oss.advance(2 * 86_400_000);
    const response = await fetch(url);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('<Code>InvalidObjectState</Code>');
  });

  it('refuses RestoreObject on a Standard object with OperationNotSupported', async () => {
    const k = key('warm.txt');
    await client.put(k, Buffer.from('w'));
    await expect(client.restore(k)).rejects.toMatchObject({ status: 400, code: 'OperationNotSupported' });
  });
});

describe('CopyObject preconditions and forbid-overwrite', () => {
  it('answers 412 for if-match / if-unmodified-since and 304 for if-none-match / if-modified-since', async () => {
    const source = key('src.txt');
    const { res } = await client.put(source, Buffer.from('source'));
    const etag = String(res.headers.etag);
    const lastModified = new Date(Date.now() - 3_600_000).toUTCString();
    const later = new Date(Date.now() + 3_600_000).toUTCString();
    const copy = (headers: Record<string, string>) => client.copy(key('dst.txt'), source, { headers });
    await expect(copy({ 'x-oss-copy-source-if-match': '"0000"' })).rejects.toMatchObject({ status: 412, code: 'PreconditionFailed' });
    await expect(copy({ 'x-oss-copy-source-if-unmodified-since': lastModified })).rejects.toMatchObject({ status: 412, code: 'PreconditionFailed' });
    const notModified = await copy({ 'x-oss-copy-source-if-none-match': etag });
    expect(notModified.res.status).toBe(304);
    expect((await copy({ 'x-oss-copy-source-if-modified-since': later })).res.status).toBe(304);
    expect((await copy({ 'x-oss-copy-source-if-match': etag, 'x-oss-copy-source-if-modified-since': lastModified })).res.status).toBe(200);
  });

  it('keeps the source storage class and tags by default and replaces them on request', async () => {
    const source = key('src2.txt');
    await client.put(source, Buffer.from('s'), { headers: { 'x-oss-storage-class': 'IA', 'x-oss-tagging': 'k=v' } });
    const kept = key('kept.txt');
    await client.copy(kept, source);
    expect((await client.head(kept)).res.headers['x-oss-storage-class']).toBe('IA');
    expect((await client.getObjectTagging(kept)).tag).toEqual({ k: 'v' });
    const replaced = key('replaced.txt');
    await client.copy(replaced, source, { headers: { 'x-oss-storage-class': 'Standard', 'x-oss-tagging-directive': 'Replace', 'x-oss-tagging': 'n=1' } });
    expect((await client.head(replaced)).res.headers['x-oss-storage-class']).toBe('Standard');
    expect((await client.getObjectTagging(replaced)).tag).toEqual({ n: '1' });
  });

  it('x-oss-forbid-overwrite refuses PutObject, CopyObject and CompleteMultipartUpload onto an existing key', async () => {
    const k = key('exists.txt');
    await client.put(k, Buffer.from('original'));
    const forbid = { headers: { 'x-oss-forbid-overwrite': 'true' } };
    await expect(client.put(k, Buffer.from('new'), forbid)).rejects.toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    await expect(client.copy(k, k, forbid)).rejects.toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    const other = key('other');
    const { uploadId } = await client.initMultipartUpload(other);
    const part = await client.uploadPart(other, uploadId, 1, Buffer.from('part'), 0, 4);
    await expect(client.initMultipartUpload(k, forbid)).rejects.toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    await client.put(other, Buffer.from('appeared meanwhile'));
    await expect(client.completeMultipartUpload(other, uploadId, [{ number: 1, etag: part.etag }], forbid)).rejects.toMatchObject({ status: 409, code: 'FileAlreadyExists' });
    expect((await client.get(other)).content.toString()).toBe('appeared meanwhile');
    await client.abortMultipartUpload(other, uploadId);
    expect((await client.get(k)).content.toString()).toBe('original');
  });
});

describe('Multipart extras', () => {
  it('lists uploads and parts, copies ranges into parts, and keeps the initiation headers on the object', async () => {
    const source = key('big-source.bin');
    const sourceBytes = Buffer.alloc(300 * 1024);
    for (let i = 0; i < sourceBytes.length; i++) sourceBytes[i] = (i * 7) & 0xff;
    await client.put(source, sourceBytes);

    const target = key('assembled.bin');
    const init = await client.initMultipartUpload(target, { headers: { 'x-oss-storage-class': 'IA', 'x-oss-server-side-encryption': 'AES256', 'x-oss-meta-origin': 'copy' } });
    const another = key('another.bin');
    const other = await client.initMultipartUpload(another);
    const uploads = await client.listUploads({ prefix: target.slice(0, target.indexOf('/') + 1) }, {});
    expect(uploads.uploads.map((u: { name: string }) => u.name)).toEqual([target]);

    const first = await client.uploadPartCopy(target, init.uploadId, 1, `0-${200 * 1024 - 1}`, { sourceKey: source, sourceBucketName: BUCKET });
    const second = await client.uploadPartCopy(target, init.uploadId, 2, `${200 * 1024}-${sourceBytes.length - 1}`, { sourceKey: source, sourceBucketName: BUCKET });
    expect(first.etag).toBe(`"${md5Hex(sourceBytes.subarray(0, 200 * 1024))}"`);
    const parts = await client.listParts(target, init.uploadId, {}, {});
    expect(parts.parts.map((p: { PartNumber: string; Size: string }) => [p.PartNumber, p.Size])).toEqual([
      ['1', String(200 * 1024)],
      ['2', String(100 * 1024)],
    ]);
    await client.completeMultipartUpload(target, init.uploadId, [
      { number: 1, etag: first.etag },
      { number: 2, etag: second.etag },
    ]);
    const got = await client.get(target);
    expect(got.content.equals(sourceBytes)).toBe(true);
    expect(got.res.headers).toMatchObject({ 'x-oss-storage-class': 'IA', 'x-oss-server-side-encryption': 'AES256', 'x-oss-meta-origin': 'copy', 'x-oss-object-type': 'Multipart' });

    await client.abortMultipartUpload(another, other.uploadId);
    await expect(client.listParts(another, other.uploadId, {}, {})).rejects.toMatchObject({ status: 404, code: 'NoSuchUpload' });
  });

  it('refuses an UploadPartCopy range outside the source with InvalidArgument', async () => {
    const source = key('small.bin');
    await client.put(source, Buffer.from('0123456789'));
    const target = key('t.bin');
    const { uploadId } = await client.initMultipartUpload(target);
    await expect(client.uploadPartCopy(target, uploadId, 1, '5-20', { sourceKey: source, sourceBucketName: BUCKET })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
    await client.abortMultipartUpload(target, uploadId);
  });
});

describe('GetObject bodies larger than one read', () => {
  // The emulator sends a body in 1 MB reads through two reused buffers (send-file.ts): a body spanning several
  // reads, a range crossing a read boundary, and a client leaving mid-body must each come out right.
  const size = 2 * SEND_CHUNK_BYTES + 12_345;
  const body = Buffer.alloc(size);
  for (let i = 0; i + 4 <= size; i += 4) body.writeUInt32BE(i, i);

  it('returns every byte of a multi-chunk object, and ranges that cross chunk boundaries', async () => {
    const k = key('big.bin');
    await client.put(k, body);
    const whole = await client.get(k);
    expect(whole.content.length).toBe(size);
    expect(md5Hex(whole.content)).toBe(md5Hex(body));
    const from = SEND_CHUNK_BYTES - 3;
    const to = 2 * SEND_CHUNK_BYTES + 5;
    const ranged = await client.get(k, { headers: { Range: `bytes=${from}-${to}` } });
    expect(ranged.res.status).toBe(206);
    expect(ranged.res.headers['content-range']).toBe(`bytes ${from}-${to}/${size}`);
    expect(Buffer.compare(ranged.content, body.subarray(from, to + 1))).toBe(0);
    const tail = await client.get(k, { headers: { Range: `bytes=-10` } });
    expect(Buffer.compare(tail.content, body.subarray(size - 10))).toBe(0);
  });

  it('stops sending to a client that leaves mid-body, with no internal error, and keeps serving the object', async () => {
    const k = key('left.bin');
    await client.put(k, body);
    const stream = await client.getStream(k);
    await new Promise<void>((resolve) => stream.stream.once('data', () => resolve()));
    stream.stream.destroy();
    const again = await client.get(k);
    expect(md5Hex(again.content)).toBe(md5Hex(body));
    expect(oss.internalErrors).toEqual([]);
  });
});
