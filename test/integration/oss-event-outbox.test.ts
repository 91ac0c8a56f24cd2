/**
 * The OSS emulator's event outbox (D151): every event a write makes is stored with the write, so one that was not
 * handed over — the subscriber was not ready, or the process died first — is handed over later, once, with the id
 * it was stored under. (The crash itself is in crash-points.test.ts.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OssEventsNotReady, type OssNotification } from '../../scripts/local/emulators/oss';
import { ossClient, startTestOss, uniqueBucket, type LooseOss } from '../helpers/oss';

interface Taken {
  n: OssNotification;
  eventId: string;
}

describe('OSS event outbox', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'oss-outbox-'));
    dirs.push(dir);
    return dir;
  };

  /** One write of every kind that makes an event, in order; answers the event names expected. */
  async function everyWrite(client: LooseOss): Promise<string[]> {
    await client.put('a.txt', Buffer.from('hello'));
    await client.copy('b.txt', 'a.txt');
    await client.append('c.log', Buffer.from('one'));
    await client.putSymlink('d.lnk', 'a.txt');
    const upload = (await client.initMultipartUpload('e.bin')) as { uploadId: string };
    const part = (await client.uploadPart('e.bin', upload.uploadId, 1, Buffer.alloc(10, 1), 0, 10)) as { etag: string };
    await client.completeMultipartUpload('e.bin', upload.uploadId, [{ number: 1, etag: part.etag }]);
    const aborted = (await client.initMultipartUpload('f.bin')) as { uploadId: string };
    await client.abortMultipartUpload('f.bin', aborted.uploadId);
    await client.delete('a.txt');
    await client.deleteMulti(['b.txt', 'missing.txt']);
    return [
      'ObjectCreated:PutObject',
      'ObjectCreated:CopyObject',
      'ObjectCreated:AppendObject',
      'ObjectCreated:PutSymlink',
      'ObjectCreated:InitiateMultipartUpload',
      'ObjectCreated:UploadPart',
      'ObjectCreated:CompleteMultipartUpload',
      'ObjectCreated:InitiateMultipartUpload',
      'ObjectRemoved:AbortMultipartUpload',
      'ObjectRemoved:DeleteObject',
      'ObjectRemoved:DeleteObjects',
    ];
  }

  it('keeps the events of a subscriber that is not ready and hands them over at the next start, once', async () => {
    const dir = dataDir();
    const bucket = uniqueBucket('outbox');
    const closed = await startTestOss({ dataDir: dir, buckets: [bucket], onEvent: () => { throw new OssEventsNotReady(); } });
    const expected = await everyWrite(ossClient(closed.emulator, { bucket }));
    await closed.stop(true);

    const taken: Taken[] = [];
    const next = await startTestOss({ dataDir: dir, buckets: [bucket], onEvent: (n, eventId) => taken.push({ n, eventId }) });
    // Handed over while it started, oldest first, each with an id of its own and what the write said.
    expect(taken.map((t) => t.n.eventName)).toEqual(expected);
    expect(new Set(taken.map((t) => t.eventId)).size).toBe(expected.length);
    expect(taken[0]!.n).toMatchObject({ bucket, key: 'a.txt', size: 5, deltaSize: 5 });
    expect(taken.find((t) => t.n.eventName === 'ObjectRemoved:DeleteObject')!.n).toMatchObject({ key: 'a.txt', size: 5, deltaSize: -5 });
    expect(taken.find((t) => t.n.eventName === 'ObjectCreated:UploadPart')!.n).toMatchObject({ key: 'e.bin', size: 10, deltaSize: 0 });
    await next.stop(true);

    // Cleared once taken: a third start hands over nothing.
    const again: Taken[] = [];
    const third = await startTestOss({ dataDir: dir, buckets: [bucket], onEvent: (n, eventId) => again.push({ n, eventId }) });
    expect(again).toEqual([]);
    await third.stop(true);
  });

  it('hands kept events over on deliverEvents(), then each new one as its write commits, in order', async () => {
    const bucket = uniqueBucket('outbox');
    let ready = false;
    const taken: string[] = [];
    const oss = await startTestOss({
      dataDir: dataDir(),
      buckets: [bucket],
      onEvent: (n) => {
        if (!ready) throw new OssEventsNotReady();
        taken.push(`${n.eventName} ${n.key}`);
      },
    });
    const client = ossClient(oss.emulator, { bucket });
    await client.put('early.txt', Buffer.from('1'));
    expect(taken).toEqual([]);
    ready = true;
    oss.emulator.deliverEvents();
    expect(taken).toEqual(['ObjectCreated:PutObject early.txt']);
    await client.put('late.txt', Buffer.from('2'));
    // Taken before the PUT was answered, as before the outbox.
    expect(taken).toEqual(['ObjectCreated:PutObject early.txt', 'ObjectCreated:PutObject late.txt']);
    await oss.stop();
  });

  it('drops an event whose subscriber fails (with a warning) and still stores the object', async () => {
    const bucket = uniqueBucket('outbox');
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const taken: string[] = [];
    const oss = await startTestOss({
      dataDir: dataDir(),
      buckets: [bucket],
      onEvent: (n) => {
        if (n.key === 'bad.txt') throw new Error('subscriber broke');
        taken.push(n.key);
      },
    });
    try {
      const client = ossClient(oss.emulator, { bucket });
      await client.put('bad.txt', Buffer.from('x'));
      await client.put('good.txt', Buffer.from('y'));
      expect(taken).toEqual(['good.txt']);
      expect((await client.get('bad.txt')).content.toString()).toBe('x');
      expect(warn.mock.calls.map(([message]) => String(message))).toEqual(['OSS emulator onEvent threw: Error: subscriber broke']);
    } finally {
      warn.mockRestore();
      await oss.stop();
    }
  });
});
