/**
 * OSS object versioning (D156) through the official ali-oss client with its default options, against the OSS
 * emulator: a bucket with versioning Enabled keeps every write as a version, a delete leaves a delete marker,
 * `versionId` reads, copies and removes one version, ListObjectVersions lists them all; Suspended writes the `null`
 * version. Raw signed requests check the error shapes ali-oss does not surface.
 */
import { photoLikeJpeg } from '../helpers/image-fixtures';
import { ossClient, startTestOss, uniqueBucket, type LooseOss, type TestOss } from '../helpers/oss';

let oss: TestOss;
let client: LooseOss;

beforeAll(async () => {
  oss = await startTestOss();
  client = ossClient(oss.emulator);
});
afterEach(() => oss.resetClock());
afterAll(() => oss.stop());

/** A new bucket for one test, with versioning in the given state (none: never enabled). */
async function newBucket(versioning?: 'Enabled' | 'Suspended'): Promise<string> {
  const name = uniqueBucket('ver');
  await client.putBucket(name);
  client.useBucket(name);
  if (versioning) {
    // ali-oss resolves this method's errors instead of throwing them: check the status.
    expect((await client.putBucketVersioning(name, 'Enabled')).status).toBe(200);
    if (versioning === 'Suspended') expect((await client.putBucketVersioning(name, 'Suspended')).status).toBe(200);
  }
  return name;
}

const text = (result: { content: Buffer }) => Buffer.from(result.content).toString();
const versionOf = (result: { res: { headers: Record<string, string> } }): string => result.res.headers['x-oss-version-id'] ?? '';

/** A signed request ali-oss would not send as it is (a raw URL signed with V4), answered as it comes. */
async function signedFetch(bucket: string, method: string, key: string, queries: Record<string, string | null>, headers: Record<string, string> = {}): Promise<Response> {
  const signer = ossClient(oss.emulator, { bucket, v4: true });
  const url: string = await signer.signatureUrlV4(method, 60, { headers, queries }, key);
  return fetch(url, { method, headers });
}

describe('Versioning Enabled', () => {
  it('keeps every PUT as a version with its own x-oss-version-id, and reads each back by versionId', async () => {
    const name = await newBucket('Enabled');
    expect((await client.getBucketVersioning(name)).versionStatus).toBe('Enabled');
    const first = await client.put('doc.txt', Buffer.from('one'));
    const second = await client.put('doc.txt', Buffer.from('two'));
    const [v1, v2] = [versionOf(first), versionOf(second)];
    expect(v1).toMatch(/^CAEQ[A-Za-z0-9]+$/);
    expect(v2).toMatch(/^CAEQ[A-Za-z0-9]+$/);
    expect(v1).not.toBe(v2);

    const current = await client.get('doc.txt');
    expect([text(current), versionOf(current)]).toEqual(['two', v2]);
    const old = await client.get('doc.txt', { versionId: v1 });
    expect([text(old), versionOf(old)]).toEqual(['one', v1]);
    expect((await client.head('doc.txt', { versionId: v1 })).res.headers['content-length']).toBe('3');
    // Current listings see one object; ListObjectVersions sees both, newest first.
    expect((await client.listV2({ prefix: 'doc' })).objects.map((o: { name: string }) => o.name)).toEqual(['doc.txt']);
    const versions = await client.getBucketVersions({ prefix: 'doc' });
    expect(versions.objects.map((o: { versionId: string; isLatest: boolean; size: number }) => [o.versionId, o.isLatest, o.size])).toEqual([
      [v2, true, 3],
      [v1, false, 3],
    ]);
    expect(versions.objects[0]).toMatchObject({ name: 'doc.txt', storageClass: 'Standard', type: 'Normal', owner: { id: expect.any(String) } });
    expect(versions.deleteMarker).toEqual([]);
  });

  it('turns a DELETE into a delete marker: GET and HEAD answer 404 NoSuchKey with x-oss-delete-marker, old versions stay', async () => {
    const name = await newBucket('Enabled');
    const v1 = versionOf(await client.put('gone.txt', Buffer.from('kept')));
    const deleted = await client.delete('gone.txt');
    const markerId = deleted.res.headers['x-oss-version-id'];
    expect(deleted.res.headers['x-oss-delete-marker']).toBe('true');
    expect(markerId).toMatch(/^CAEQ/);

    await expect(client.get('gone.txt')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    // ali-oss keeps no response headers on its errors: the marker's are read from the raw answers.
    const get = await signedFetch(name, 'GET', 'gone.txt', {});
    expect([get.status, get.headers.get('x-oss-delete-marker'), get.headers.get('x-oss-version-id'), await get.text()]).toEqual([404, 'true', markerId, expect.stringContaining('<Code>NoSuchKey</Code>')]);
    const head = await signedFetch(name, 'HEAD', 'gone.txt', {});
    expect([head.status, head.headers.get('x-oss-delete-marker'), head.headers.get('x-oss-version-id')]).toEqual([404, 'true', markerId]);
    expect(text(await client.get('gone.txt', { versionId: v1 }))).toBe('kept');
    // The marker itself cannot be read: 405, as OSS and S3 answer.
    await expect(client.get('gone.txt', { versionId: markerId })).rejects.toMatchObject({ status: 405, code: 'MethodNotAllowed' });
    const onMarker = await signedFetch(name, 'GET', 'gone.txt', { versionId: markerId });
    expect([onMarker.status, onMarker.headers.get('x-oss-delete-marker')]).toEqual([405, 'true']);

    expect((await client.listV2({ prefix: 'gone' })).objects ?? []).toEqual([]);
    const versions = await client.getBucketVersions({ prefix: 'gone' });
    expect(versions.deleteMarker).toEqual([expect.objectContaining({ name: 'gone.txt', versionId: markerId })]);
    expect(versions.objects.map((o: { versionId: string; isLatest: boolean }) => [o.versionId, o.isLatest])).toEqual([[v1, false]]);
    // A versioned bucket with only old versions and markers is not empty.
    await expect(client.deleteBucket(name)).rejects.toMatchObject({ status: 409, code: 'BucketNotEmpty' });
  });

  it('removes one version for good with ?versionId=: deleting the marker brings the object back, deleting the current restores the previous', async () => {
    await newBucket('Enabled');
    const v1 = versionOf(await client.put('k.txt', Buffer.from('v1')));
    const v2 = versionOf(await client.put('k.txt', Buffer.from('v2')));
    const markerId = (await client.delete('k.txt')).res.headers['x-oss-version-id'];

    const unmarked = await client.delete('k.txt', { versionId: markerId });
    expect([unmarked.res.headers['x-oss-delete-marker'], unmarked.res.headers['x-oss-version-id']]).toEqual(['true', markerId]);
    expect(text(await client.get('k.txt'))).toBe('v2');

    const removed = await client.delete('k.txt', { versionId: v2 });
    expect([removed.res.headers['x-oss-delete-marker'], removed.res.headers['x-oss-version-id']]).toEqual([undefined, v2]);
    const back = await client.get('k.txt');
    expect([text(back), versionOf(back)]).toEqual(['v1', v1]);
    await expect(client.get('k.txt', { versionId: v2 })).rejects.toMatchObject({ status: 404, code: 'NoSuchVersion' });
    // An id the key does not have is no error for a delete (204), as for a missing key.
    expect((await client.delete('k.txt', { versionId: v2 })).res.status).toBe(204);
  });

  it('deletes versions and leaves markers with DeleteMultipleObjects, answering DeleteMarker and DeleteMarkerVersionId', async () => {
    await newBucket('Enabled');
    const a1 = versionOf(await client.put('a.txt', Buffer.from('a1')));
    await client.put('a.txt', Buffer.from('a2'));
    await client.put('b.txt', Buffer.from('b'));
    const result = await client.deleteMulti([{ key: 'a.txt', versionId: a1 }, 'b.txt']);
    expect(result.deleted).toEqual([
      { Key: 'a.txt', VersionId: a1 },
      { Key: 'b.txt', DeleteMarker: 'true', DeleteMarkerVersionId: expect.stringMatching(/^CAEQ/) },
    ]);
    const markerId = result.deleted[1].DeleteMarkerVersionId;
    const again = await client.deleteMulti([{ key: 'b.txt', versionId: markerId }]);
    expect(again.deleted).toEqual([{ Key: 'b.txt', VersionId: markerId, DeleteMarker: 'true', DeleteMarkerVersionId: markerId }]);
    expect(text(await client.get('b.txt'))).toBe('b');
    expect((await client.getBucketVersions({ prefix: 'a.txt' })).objects.map((o: { size: number }) => o.size)).toEqual([2]);
  });

  it('copies one version with x-oss-copy-source ?versionId= and says which (x-oss-copy-source-version-id), also to UploadPartCopy', async () => {
    const name = await newBucket('Enabled');
    const v1 = versionOf(await client.put('src.txt', Buffer.from('first body')));
    await client.put('src.txt', Buffer.from('second'));
    const copied = await client.copy('copy.txt', 'src.txt', { versionId: v1 });
    expect(copied.res.headers['x-oss-copy-source-version-id']).toBe(v1);
    expect(copied.res.headers['x-oss-version-id']).toMatch(/^CAEQ/);
    expect(text(await client.get('copy.txt'))).toBe('first body');

    const upload = await client.initMultipartUpload('parts.txt');
    const part = await signedFetch(name, 'PUT', 'parts.txt', { partNumber: '1', uploadId: upload.uploadId }, { 'x-oss-copy-source': `/${name}/src.txt?versionId=${v1}`, 'x-oss-copy-source-range': 'bytes=0-4' });
    expect([part.status, part.headers.get('x-oss-copy-source-version-id')]).toEqual([200, v1]);
    const done = await client.completeMultipartUpload('parts.txt', upload.uploadId, [{ number: 1, etag: part.headers.get('etag') }]);
    expect(done.res.headers['x-oss-version-id']).toMatch(/^CAEQ/);
    expect(text(await client.get('parts.txt'))).toBe('first');
  });

  it('pages ListObjectVersions with max-keys, key-marker and version-id-marker, and rolls up common prefixes', async () => {
    await newBucket('Enabled');
    const ids: string[] = [];
    for (const body of ['1', '2', '3']) ids.unshift(versionOf(await client.put('p/x.txt', Buffer.from(body))));
    await client.put('p/y.txt', Buffer.from('y'));
    await client.put('p/z/z.txt', Buffer.from('z'));
    const first = await client.getBucketVersions({ prefix: 'p/', maxKeys: 2 });
    expect(first.objects.map((o: { versionId: string }) => o.versionId)).toEqual(ids.slice(0, 2));
    expect([first.isTruncated, first.nextKeyMarker, first.nextVersionIdMarker]).toEqual([true, 'p/x.txt', ids[1]]);
    const second = await client.getBucketVersions({ prefix: 'p/', maxKeys: 2, keyMarker: first.nextKeyMarker, versionIdMarker: first.nextVersionIdMarker });
    expect(second.objects.map((o: { name: string; versionId: string }) => [o.name, o.versionId])).toEqual([['p/x.txt', ids[2]], ['p/y.txt', expect.any(String)]]);
    const rolled = await client.getBucketVersions({ prefix: 'p/', delimiter: '/' });
    expect([rolled.objects.length, rolled.prefixes]).toEqual([4, ['p/z/']]);
  });

  it('sends ObjectCreated events for versioned writes and an ObjectRemoved event for a delete marker', async () => {
    const name = await newBucket('Enabled');
    const before = oss.events.length;
    await client.put('e.txt', Buffer.from('12345'));
    await client.put('e.txt', Buffer.from('123'));
    await client.delete('e.txt');
    const events = oss.events.slice(before).filter((n) => n.bucket === name);
    // Bytes of kept versions stay stored: a new version adds its size, a marker frees nothing.
    expect(events.map((n) => [n.eventName, n.size, n.deltaSize])).toEqual([
      ['ObjectCreated:PutObject', 5, 5],
      ['ObjectCreated:PutObject', 3, 3],
      ['ObjectRemoved:DeleteObject', 3, 0],
    ]);
  });

  it('ignores x-oss-forbid-overwrite once versioning is enabled, as OSS does (nothing is overwritten)', async () => {
    await newBucket('Enabled');
    await client.put('f.txt', Buffer.from('a'));
    const again = await client.put('f.txt', Buffer.from('b'), { headers: { 'x-oss-forbid-overwrite': 'true' } });
    expect(again.res.status).toBe(200);
    expect((await client.getBucketVersions({ prefix: 'f.txt' })).objects).toHaveLength(2);
  });
});

describe('Versions are kept as the objects are', () => {
  it('keeps every version of parallel writes to one key, each readable', async () => {
    await newBucket('Enabled');
    const bodies = Array.from({ length: 8 }, (_, i) => `body-${i}`);
    const ids = await Promise.all(bodies.map(async (body) => versionOf(await client.put('busy.txt', Buffer.from(body)))));
    const listed = await client.getBucketVersions({ prefix: 'busy.txt' });
    expect(listed.objects.map((o: { versionId: string }) => o.versionId).sort()).toEqual([...ids].sort());
    expect(listed.objects.filter((o: { isLatest: boolean }) => o.isLatest)).toHaveLength(1);
    const read = await Promise.all(ids.map(async (versionId) => text(await client.get('busy.txt', { versionId }))));
    expect(read.sort()).toEqual([...bodies].sort());
  });

  it('keeps previous versions and delete markers across a restart (their bodies are not collected as orphans)', async () => {
    const own = await startTestOss();
    try {
      const name = uniqueBucket('ver');
      const c = ossClient(own.emulator, { bucket: name });
      await c.putBucket(name);
      await c.putBucketVersioning(name, 'Enabled');
      const v1 = versionOf(await c.put('keep.txt', Buffer.from('first')));
      await c.put('keep.txt', Buffer.from('second'));
      const markerId = (await c.delete('keep.txt')).res.headers['x-oss-version-id'];
      await own.stop(true);
      const again = await startTestOss({ dataDir: own.dataDir });
      try {
        const c2 = ossClient(again.emulator, { bucket: name });
        expect(text(await c2.get('keep.txt', { versionId: v1 }))).toBe('first');
        const listed = await c2.getBucketVersions({});
        expect([listed.deleteMarker.map((m: { versionId: string }) => m.versionId), listed.objects.length]).toEqual([[markerId], 2]);
      } finally {
        await again.stop();
      }
    } catch (err) {
      await own.stop().catch(() => undefined);
      throw err;
    }
  });
});

describe('Versioning Suspended and never enabled', () => {
  it('writes the null version while Suspended, replacing the previous null version and keeping the ones with ids', async () => {
    const name = await newBucket('Enabled');
    const kept = versionOf(await client.put('s.txt', Buffer.from('enabled')));
    expect((await client.putBucketVersioning(name, 'Suspended')).status).toBe(200);
    expect(versionOf(await client.put('s.txt', Buffer.from('null one')))).toBe('null');
    expect(versionOf(await client.put('s.txt', Buffer.from('null two')))).toBe('null');
    const versions = await client.getBucketVersions({ prefix: 's.txt' });
    expect(versions.objects.map((o: { versionId: string; isLatest: boolean }) => [o.versionId, o.isLatest])).toEqual([
      ['null', true],
      [kept, false],
    ]);
    expect(text(await client.get('s.txt', { versionId: 'null' }))).toBe('null two');
    // A delete leaves a `null` marker, replacing the null version.
    const deleted = await client.delete('s.txt');
    expect([deleted.res.headers['x-oss-delete-marker'], deleted.res.headers['x-oss-version-id']]).toEqual(['true', 'null']);
    const after = await client.getBucketVersions({ prefix: 's.txt' });
    expect([after.deleteMarker.map((m: { versionId: string }) => m.versionId), after.objects.map((o: { versionId: string }) => o.versionId)]).toEqual([['null'], [kept]]);
  });

  it('keeps an unversioned bucket as it was: no version headers, overwrite and delete for good, Suspended refused', async () => {
    const name = await newBucket();
    expect((await client.putBucketVersioning(name, 'Suspended')).status).toBe(400);
    const put = await client.put('u.txt', Buffer.from('one'));
    expect(put.res.headers['x-oss-version-id']).toBeUndefined();
    await client.put('u.txt', Buffer.from('two'));
    const deleted = await client.delete('u.txt');
    expect(deleted.res.headers['x-oss-delete-marker']).toBeUndefined();
    expect((await client.getBucketVersions({})).objects).toEqual([]);
    await client.deleteBucket(name);
  });

  it('lists objects written before versioning was enabled as the null version', async () => {
    const name = await newBucket();
    await client.put('old.txt', Buffer.from('before'));
    expect((await client.putBucketVersioning(name, 'Enabled')).status).toBe(200);
    const newer = versionOf(await client.put('old.txt', Buffer.from('after')));
    const versions = await client.getBucketVersions({ prefix: 'old' });
    expect(versions.objects.map((o: { versionId: string }) => o.versionId)).toEqual([newer, 'null']);
    expect(text(await client.get('old.txt', { versionId: 'null' }))).toBe('before');
  });
});

describe('Lifecycle rules on versions', () => {
  const DAY = 86_400_000;

  // Requests are signed with the real time, so every write comes first; the clock moves only for the sweeps.
  it('expires previous versions NoncurrentDays after they stopped being current, then the delete marker left alone', async () => {
    const name = await newBucket('Enabled');
    // One rule with both actions, as OSS's examples write it: two rules with the same prefix are refused (D167).
    await client.putBucketLifecycle(name, [
      { id: 'old-versions', prefix: 'logs/', status: 'Enabled', noncurrentVersionExpiration: { noncurrentDays: '3' }, expiration: { expiredObjectDeleteMarker: 'true' } },
    ]);
    const v1 = versionOf(await client.put('logs/a.txt', Buffer.from('1')));
    const v2 = versionOf(await client.put('logs/a.txt', Buffer.from('2')));
    const markerId = (await client.delete('logs/a.txt')).res.headers['x-oss-version-id'];
    await client.put('other/a.txt', Buffer.from('not under the prefix'));
    await client.put('other/a.txt', Buffer.from('again'));
    expect((await client.getBucketLifecycle(name)).rules[0]).toMatchObject({ id: 'old-versions', noncurrentVersionExpiration: { noncurrentDays: '3' } });
    oss.advance(2 * DAY);
    expect((await oss.emulator.runLifecycle()).versionsRemoved).toEqual([]);
    oss.advance(1 * DAY);
    const swept = await oss.emulator.runLifecycle();
    // v2 and v1 are noncurrent for 3 days; then the marker is the key's only version, and goes too.
    expect(swept.versionsRemoved).toEqual([
      { bucket: name, key: 'logs/a.txt', versionId: v2, deleteMarker: false },
      { bucket: name, key: 'logs/a.txt', versionId: v1, deleteMarker: false },
      { bucket: name, key: 'logs/a.txt', versionId: markerId, deleteMarker: true },
    ]);
    oss.resetClock();
    const left = await client.getBucketVersions({});
    expect([left.objects.map((o: { name: string }) => o.name), left.deleteMarker]).toEqual([['other/a.txt', 'other/a.txt'], []]);
  });

  it('leaves a delete marker for an expired current version', async () => {
    const name = await newBucket('Enabled');
    await client.putBucketLifecycle(name, [{ id: 'expire', prefix: 'tmp/', status: 'Enabled', expiration: { days: 1 } }]);
    const v1 = versionOf(await client.put('tmp/x.txt', Buffer.from('x')));
    oss.advance(DAY);
    expect((await oss.emulator.runLifecycle()).expired).toEqual([{ bucket: name, key: 'tmp/x.txt' }]);
    oss.resetClock();
    await expect(client.get('tmp/x.txt')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    expect(text(await client.get('tmp/x.txt', { versionId: v1 }))).toBe('x');
    expect((await client.getBucketVersions({ prefix: 'tmp/' })).deleteMarker).toHaveLength(1);
  });

  it('moves previous versions to a colder class with NoncurrentVersionTransition, leaving the current one', async () => {
    const name = await newBucket('Enabled');
    await client.putBucketLifecycle(name, [{ id: 'cold', prefix: 'docs/', status: 'Enabled', noncurrentVersionTransition: { noncurrentDays: '2', storageClass: 'IA' } }]);
    const v1 = versionOf(await client.put('docs/d.txt', Buffer.from('old')));
    const v2 = versionOf(await client.put('docs/d.txt', Buffer.from('new')));
    oss.advance(DAY);
    expect((await oss.emulator.runLifecycle()).versionsTransitioned).toEqual([]);
    oss.advance(DAY);
    expect((await oss.emulator.runLifecycle()).versionsTransitioned).toEqual([{ bucket: name, key: 'docs/d.txt', versionId: v1, storageClass: 'IA' }]);
    oss.resetClock();
    expect((await client.head('docs/d.txt', { versionId: v1 })).res.headers['x-oss-storage-class']).toBe('IA');
    expect((await client.head('docs/d.txt')).res.headers['x-oss-storage-class']).toBe('Standard');
    const listed = await client.getBucketVersions({ prefix: 'docs/' });
    expect(listed.objects.map((o: { versionId: string; storageClass: string }) => [o.versionId, o.storageClass])).toEqual([
      [v2, 'Standard'],
      [v1, 'IA'],
    ]);
    const raw = await signedFetch(name, 'GET', '', { lifecycle: null });
    expect(await raw.text()).toContain('<NoncurrentVersionTransition><NoncurrentDays>2</NoncurrentDays><StorageClass>IA</StorageClass></NoncurrentVersionTransition>');
  });
});

describe('ListObjectVersions on the wire', () => {
  it('answers ListVersionsResult in OSS\'s element order, keys url-encoded when asked', async () => {
    const name = await newBucket('Enabled');
    const v1 = versionOf(await client.put('a b.txt', Buffer.from('x')));
    const markerId = (await client.delete('a b.txt')).res.headers['x-oss-version-id'];
    const res = await signedFetch(name, 'GET', '', { versions: null, 'encoding-type': 'url', 'max-keys': '10' });
    const body = await res.text();
    const owner = '<Owner><ID>[^<]+</ID><DisplayName>[^<]+</DisplayName></Owner>';
    const time = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
    expect(res.status).toBe(200);
    expect(body).toMatch(
      new RegExp(
        `^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<ListVersionsResult><Name>${name}</Name><Prefix></Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>` +
          `<MaxKeys>10</MaxKeys><Delimiter></Delimiter><IsTruncated>false</IsTruncated><EncodingType>url</EncodingType>` +
          `<DeleteMarker><Key>a%20b.txt</Key><VersionId>${markerId}</VersionId><IsLatest>true</IsLatest><LastModified>${time}</LastModified>${owner}</DeleteMarker>` +
          `<Version><Key>a%20b.txt</Key><VersionId>${v1}</VersionId><IsLatest>false</IsLatest><LastModified>${time}</LastModified><ETag>&quot;9DD4E461268C8034F5C8564E155C67A6&quot;</ETag>` +
          `<Type>Normal</Type><Size>1</Size><StorageClass>Standard</StorageClass>${owner}</Version></ListVersionsResult>$`,
      ),
    );
  });
});

describe('ACL, tags, symlinks, restore and image processing of one version', () => {
  it('sets and reads the ACL of a previous version by versionId, each version keeping its own across later writes', async () => {
    const name = await newBucket('Enabled');
    const v1 = versionOf(await client.put('acl.txt', Buffer.from('one')));
    const v2 = versionOf(await client.put('acl.txt', Buffer.from('two')));
    const put = await client.putACL('acl.txt', 'public-read', { versionId: v1 });
    expect([put.res.status, versionOf(put)]).toEqual([200, v1]);
    expect((await client.putACL('acl.txt', 'private')).res.headers['x-oss-version-id']).toBe(v2);
    // A third write makes v2 a previous version: its ACL goes with it.
    await client.put('acl.txt', Buffer.from('three'));
    const [first, second, current] = await Promise.all([client.getACL('acl.txt', { versionId: v1 }), client.getACL('acl.txt', { versionId: v2 }), client.getACL('acl.txt')]);
    expect([first.acl, second.acl, current.acl]).toEqual(['public-read', 'private', 'default']);
    expect(versionOf(first)).toBe(v1);
    // Anonymous reads are judged by the version they name.
    const anonymous = (versionId: string) => fetch(`${oss.emulator.endpoint}/${name}/acl.txt?versionId=${versionId}`);
    expect([(await anonymous(v1)).status, (await anonymous(v2)).status]).toEqual([200, 403]);
  });

  it('puts, reads and deletes the tags of one version; a version made previous keeps its tags', async () => {
    await newBucket('Enabled');
    const v1 = versionOf(await client.put('t.txt', Buffer.from('one')));
    const put = await client.putObjectTagging('t.txt', { team: 'a' }, { versionId: v1 });
    expect([put.status, versionOf(put)]).toEqual([200, v1]);
    // Without a version the current one (v1 still) is tagged: the set replaces the one before, as OSS's does.
    await client.putObjectTagging('t.txt', { stage: 'current' });
    const v2 = versionOf(await client.put('t.txt', Buffer.from('two')));
    expect((await client.getObjectTagging('t.txt', { versionId: v1 })).tag).toEqual({ stage: 'current' });
    expect((await client.getObjectTagging('t.txt')).tag).toEqual({});
    await client.putObjectTagging('t.txt', { team: 'b' }, { versionId: v1 });
    expect((await client.getObjectTagging('t.txt', { versionId: v1 })).tag).toEqual({ team: 'b' });
    const removed = await client.deleteObjectTagging('t.txt', { versionId: v1 });
    expect([removed.status, versionOf(removed)]).toEqual([204, v1]);
    expect((await client.getObjectTagging('t.txt', { versionId: v1 })).tag).toEqual({});
    expect(versionOf(await client.getObjectTagging('t.txt', { versionId: v2 }))).toBe(v2);
  });

  it('reads a previous version of a symlink with GetSymlink versionId', async () => {
    await newBucket('Enabled');
    const s1 = versionOf(await client.putSymlink('link', 'first.txt'));
    const s2 = versionOf(await client.putSymlink('link', 'second.txt'));
    const old = await client.getSymlink('link', { versionId: s1 });
    expect([old.targetName, versionOf(old)]).toEqual(['first.txt', s1]);
    const current = await client.getSymlink('link');
    expect([current.targetName, versionOf(current)]).toEqual(['second.txt', s2]);
  });

  it('restores an Archive previous version by versionId: its own restore state, readable once ready', async () => {
    await newBucket('Enabled');
    const v1 = versionOf(await client.put('cold.txt', Buffer.from('archived'), { headers: { 'x-oss-storage-class': 'Archive' } }));
    const v2 = versionOf(await client.put('cold.txt', Buffer.from('current'), { headers: { 'x-oss-storage-class': 'Archive' } }));
    await expect(client.get('cold.txt', { versionId: v1 })).rejects.toMatchObject({ status: 403, code: 'InvalidObjectState' });
    const restored = await client.restore('cold.txt', { versionId: v1 });
    expect([restored.res.status, restored.res.headers['x-oss-version-id']]).toEqual([202, v1]);
    await expect(client.restore('cold.txt', { versionId: v1 })).rejects.toMatchObject({ status: 409, code: 'RestoreAlreadyInProgress' });
    oss.advance(61_000);
    expect(text(await client.get('cold.txt', { versionId: v1 }))).toBe('archived');
    // The current version was not restored.
    await expect(client.get('cold.txt', { versionId: v2 })).rejects.toMatchObject({ status: 403, code: 'InvalidObjectState' });
    expect((await client.head('cold.txt', { versionId: v1 })).res.headers['x-oss-restore']).toMatch(/ongoing-request="false"/);
  });

  it('processes a previous version of an image with x-oss-process and versionId', async () => {
    await newBucket('Enabled');
    const v1 = versionOf(await client.put('pic.jpg', await photoLikeJpeg(40, 30)));
    const v2 = versionOf(await client.put('pic.jpg', await photoLikeJpeg(20, 10)));
    const info = async (options: Record<string, string>) => {
      const result = await client.get('pic.jpg', { process: 'image/info', ...options });
      return [(JSON.parse(text(result)) as { ImageWidth: { value: string } }).ImageWidth.value, versionOf(result)];
    };
    expect(await info({ versionId: v1 })).toEqual(['40', v1]);
    expect(await info({})).toEqual(['20', v2]);
  });

  it('counts previous versions in GetBucketStat and delete markers in DeleteMarkerCount', async () => {
    const name = await newBucket('Enabled');
    await client.put('a.txt', Buffer.from('12345'));
    await client.put('a.txt', Buffer.from('123'));
    await client.delete('a.txt');
    await client.put('b.txt', Buffer.from('1'));
    const { stat } = await client.getBucketStat(name);
    expect([stat.Storage, stat.ObjectCount, stat.StandardObjectCount, stat.DeleteMarkerCount]).toEqual(['9', '3', '3', '1']);
  });
});

describe('Version errors on the wire', () => {
  it('answers a delete marker\'s id with 404 (ACL, tagging, restore) or 405 (GetSymlink), an unknown id with NoSuchVersion', async () => {
    const name = await newBucket('Enabled');
    await client.put('m.txt', Buffer.from('x'));
    const markerId = (await client.delete('m.txt')).res.headers['x-oss-version-id'];
    for (const [method, sub] of [['GET', 'acl'], ['PUT', 'acl'], ['GET', 'tagging'], ['DELETE', 'tagging'], ['POST', 'restore']] as const) {
      const headers: Record<string, string> = sub === 'acl' && method === 'PUT' ? { 'x-oss-object-acl': 'private' } : {};
      const res = await signedFetch(name, method, 'm.txt', { [sub]: null, versionId: markerId }, headers);
      const body = await res.text();
      expect([method, sub, res.status, res.headers.get('x-oss-delete-marker'), res.headers.get('x-oss-version-id'), body]).toEqual([
        method, sub, 404, 'true', markerId, expect.stringMatching(/<Code>NoSuchKey<\/Code>[\s\S]*<EC>0017-00000002<\/EC>/),
      ]);
      const unknown = await signedFetch(name, method, 'm.txt', { [sub]: null, versionId: 'CAEQnotthere' }, headers);
      expect([method, sub, unknown.status, await unknown.text()]).toEqual([method, sub, 404, expect.stringMatching(/<Code>NoSuchVersion<\/Code>/)]);
    }
    await expect(client.putObjectTagging('m.txt', { a: 'b' }, { versionId: markerId })).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
    const symlink = await signedFetch(name, 'GET', 'm.txt', { symlink: null, versionId: markerId });
    expect([symlink.status, symlink.headers.get('x-oss-delete-marker'), await symlink.text()]).toEqual([405, 'true', expect.stringMatching(/<Code>MethodNotAllowed<\/Code>/)]);
    // The current version being a marker: 404 NoSuchKey with the marker's headers, as GetObject answers.
    const current = await signedFetch(name, 'GET', 'm.txt', { tagging: null });
    expect([current.status, current.headers.get('x-oss-version-id'), await current.text()]).toEqual([404, markerId, expect.stringMatching(/<Code>NoSuchKey<\/Code>/)]);
  });

  it('still refuses by name what takes no version: PutSymlink and ProcessObject with versionId, AppendObject InvalidArgument', async () => {
    const name = await newBucket('Enabled');
    const v1 = versionOf(await client.put('r.txt', Buffer.from('x')));
    const symlink = await signedFetch(name, 'PUT', 'r.txt', { symlink: null, versionId: v1 }, { 'x-oss-symlink-target': 'x' });
    expect([symlink.status, await symlink.text()]).toEqual([501, expect.stringMatching(/<Code>NotImplemented<\/Code><Message>PutSymlink with versionId/)]);
    const saveAs = await signedFetch(name, 'POST', 'r.txt', { 'x-oss-process': null, versionId: v1 });
    expect([saveAs.status, await saveAs.text()]).toEqual([501, expect.stringMatching(/<Code>NotImplemented<\/Code><Message>ProcessObject/)]);
    const append = await signedFetch(name, 'POST', 'log.txt', { append: null, position: '0', versionId: v1 });
    expect([append.status, await append.text()]).toEqual([400, expect.stringMatching(/<Code>InvalidArgument<\/Code>[\s\S]*<ArgumentName>versionId<\/ArgumentName>[\s\S]*0016-00000504/)]);
    const unknown = await signedFetch(name, 'GET', 'r.txt', { versionId: 'CAEQnotthere' });
    expect([unknown.status, await unknown.text()]).toEqual([404, expect.stringMatching(/<Code>NoSuchVersion<\/Code>/)]);
  });
});
