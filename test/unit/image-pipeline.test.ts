import sharp from 'sharp';
import { UploadRequest, thumbnailKey, type ImageRecord } from '#shared/contracts/images';
import type { OssEventRecord } from '#shared/contracts/oss-event';
import { ALL_TABLES } from '#shared/contracts/tables';
import { RetryableError } from '#shared/errors';
import { imageEngineFromEnv } from '#shared/images/engine';
import { getImage, insertImage, transitionImage } from '#shared/images/image-rows';
import { createLogger } from '#shared/log';
import { ManualClock } from '#shared/ports/clock';
import type { ImageEngine } from '#shared/ports/image-engine';
import { catalogThumbnails } from '../../functions/catalog-image/core';
import { toView } from '../../functions/image-api/core';
import { indexImages } from '../../functions/index-image/core';
import { processUpload } from '../../functions/make-thumbnail/core';
import { createUpload, titleFromFileName } from '../../functions/upload-url/core';
import { eventually } from '../helpers/eventually';
import { MemoryObjectStore } from '../helpers/fakes';
import { photoLikeJpeg } from '../helpers/image-fixtures';
import { createMemorySearchIndex, createMemoryTable } from '../helpers/memory-table';

/**
 * The image pipeline's cores, one hop at a time, with the TableStore table and search index adapters on an
 * in-process emulator, an in-memory object store and the sharp engine: each hop's decisions, including the
 * redelivery and orphan cases the integration test cannot easily stage.
 */
const log = createLogger({ test: 'image-pipeline' });
const USER = { username: 'alice', role: 'user' as const, displayName: 'Alice' };

function ossRecord(key: string, eventName = 'ObjectCreated:PutObject', size = 100): OssEventRecord {
  return {
    eventName,
    eventSource: 'acs:oss',
    eventTime: '2026-11-25T08:00:00.000Z',
    eventVersion: '1.0',
    oss: { bucket: { arn: 'acs:oss:cn-hangzhou:1:media', name: 'media', ownerIdentity: '1' }, object: { deltaSize: size, eTag: 'E', key, size }, ossSchemaVersion: '1.0', ruleId: 'r' },
    region: 'cn-hangzhou',
    requestParameters: { sourceIPAddress: '127.0.0.1' },
    responseElements: { requestId: 'req' },
    userIdentity: { principalId: '1' },
  };
}

describe('image pipeline cores', () => {
  const clock = new ManualClock();
  let table: ReturnType<typeof createMemoryTable>;
  let search: ReturnType<typeof createMemorySearchIndex>;
  let engine: ImageEngine;
  let objects: MemoryObjectStore;
  let ids = 0;
  const newId = () => `img_${String(++ids).padStart(26, '0')}`;

  beforeAll(async () => {
    table = createMemoryTable(ALL_TABLES, clock);
    search = createMemorySearchIndex();
    engine = await imageEngineFromEnv({ IMAGE_ENGINE: 'sharp' });
  });
  beforeEach(() => {
    objects = new MemoryObjectStore();
  });
  afterAll(() => {
    table.close();
    search.close();
  });

  async function pendingUpload(extra: Partial<{ title: string; tags: string[]; productId: string }> = {}) {
    return createUpload(UploadRequest.parse({ filename: 'IMG_2041 beach-day.jpg', contentType: 'image/jpeg', size: 5000, ...extra }), USER, { table, objects, clock, newId, productExists: async (id) => id.startsWith('p-known') });
  }

  describe('upload-url', () => {
    it('signs a PUT for a key it chooses and records the image as pending', async () => {
      const ticket = await pendingUpload({ tags: ['Sea', 'sea', 'dusk'] });
      expect(ticket.key).toBe(`uploads/${ticket.imageId}.jpg`);
      expect(ticket.uploadUrl).toContain(`${ticket.key}?method=PUT&expires=900`);
      expect(ticket.headers).toEqual({ 'Content-Type': 'image/jpeg' });
      expect(await getImage(table, ticket.imageId)).toMatchObject({ status: 'pending', owner: 'alice', title: 'IMG 2041 beach day', tags: ['sea', 'dusk'], uploadKey: ticket.key, declaredSize: 5000 });
    });

    it('refuses a product the catalogue does not have, naming body.productId', async () => {
      await expect(pendingUpload({ productId: 'p-unknown' })).rejects.toMatchObject({ status: 400, details: [{ path: 'body.productId' }] });
      const ticket = await pendingUpload({ productId: 'p-known-kettle' });
      expect(await getImage(table, ticket.imageId)).toMatchObject({ productId: 'p-known-kettle' });
    });

    it('derives readable titles from file names', () => {
      expect(titleFromFileName('IMG_2041 beach-day.jpg')).toBe('IMG 2041 beach day');
      expect(titleFromFileName('.jpg')).toBe('Untitled photo');
      // Cut at 120 characters, not 120 UTF-16 units: an emoji across the cut is kept whole or left out, never halved
      // into a lone surrogate (D127).
      const title = titleFromFileName(`${'a'.repeat(119)}😀😀.jpg`);
      expect(title).toBe(`${'a'.repeat(119)}😀`);
      expect(/[\ud800-\udbff](?![\udc00-\udfff])/.test(title)).toBe(false);
    });

    it.each([
      [{ filename: '../x.jpg' }, 'filename'],
      [{ filename: 'a/b.jpg' }, 'filename'],
      [{ filename: 'a\u0000.jpg' }, 'filename'],
      [{ contentType: 'image/gif' }, 'contentType'],
      [{ size: 0 }, 'size'],
      [{ tags: ['ok', 'not ok!'] }, 'tags'],
      [{ key: 'uploads/mine.jpg' }, 'unrecognized_keys'],
    ])('refuses %j', (change, field) => {
      const result = UploadRequest.safeParse({ filename: 'a.jpg', contentType: 'image/jpeg', size: 10, ...change });
      expect(result.success).toBe(false);
      expect(JSON.stringify(result.error?.issues)).toContain(field);
    });
  });

  describe('make-thumbnail', () => {
    it('writes both WebP thumbnails, the small one last, with the original’s facts as metadata', async () => {
      const ticket = await pendingUpload();
      const bytes = await photoLikeJpeg(800, 600);
      await objects.put(ticket.key, bytes, { contentType: 'image/jpeg' });
      const outcome = await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log });
      expect(outcome).toEqual({ imageId: ticket.imageId, outcome: 'thumbnailed', width: 800, height: 600 });
      expect(objects.puts.slice(-2)).toEqual([thumbnailKey(ticket.imageId, 'large'), thumbnailKey(ticket.imageId, 'small')]);
      expect((await objects.head(thumbnailKey(ticket.imageId, 'small')))?.meta).toEqual({ imageid: ticket.imageId, format: 'jpeg', width: '800', height: '600', size: String(bytes.length) });
      // The row stays pending: catalog-image moves it on.
      expect((await getImage(table, ticket.imageId))?.status).toBe('pending');
    });

    it('thumbnails greyscale and transparent images too (the watermark is blended in sRGB)', async () => {
      const grey = await sharp(await photoLikeJpeg(600, 400)).greyscale().jpeg().toBuffer();
      const alpha = await sharp({ create: { width: 600, height: 400, channels: 4, background: { r: 0, g: 90, b: 200, alpha: 0.4 } } }).png().toBuffer();
      for (const bytes of [grey, alpha]) {
        const [small, large] = await engine.thumbnails(bytes, [{ width: 256 }, { width: 1024, watermark: 'FC EVENT SUITE' }]);
        expect(await sharp(large!.body).metadata()).toMatchObject({ format: 'webp', width: 600, height: 400 });
        expect(small!.width).toBe(256);
      }
      const marked = await sharp((await engine.thumbnail(alpha, { width: 600, watermark: 'FC EVENT SUITE' })).body).metadata();
      expect(marked.hasAlpha).toBe(true);
    });

    it('rejects what is not an image, records why and deletes the upload', async () => {
      const ticket = await pendingUpload();
      await objects.put(ticket.key, Buffer.from('GIF89a not really'), { contentType: 'image/jpeg' });
      expect(await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log })).toEqual({ imageId: ticket.imageId, outcome: 'rejected', reason: 'unsupported-type' });
      expect(await getImage(table, ticket.imageId)).toMatchObject({ status: 'rejected', reason: 'unsupported-type' });
      expect(await objects.head(ticket.key)).toBeUndefined();
      expect(objects.puts.filter((k) => k.startsWith('thumbs/'))).toEqual([]);
    });

    it('rejects more than 20 MB from the object’s size, reading no more than 20 MB + 1 byte of it (D174)', async () => {
      const ticket = await pendingUpload();
      await objects.put(ticket.key, Buffer.alloc(20 * 1024 * 1024 + 4096), { contentType: 'image/jpeg' });
      expect(await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log })).toMatchObject({ outcome: 'rejected', reason: 'too-large-bytes' });
      expect(await getImage(table, ticket.imageId)).toMatchObject({ status: 'rejected', reason: 'too-large-bytes', size: 20 * 1024 * 1024 + 4096 });
      expect(objects.gets).toEqual([{ key: ticket.key, range: { start: 0, end: 20 * 1024 * 1024 } }]);
    });

    it('rejects an empty upload (the bounded GET of nothing is InvalidRange, not a failure to retry)', async () => {
      const ticket = await pendingUpload();
      await objects.put(ticket.key, Buffer.alloc(0), { contentType: 'image/jpeg' });
      expect(await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log })).toMatchObject({ outcome: 'rejected' });
      expect(await getImage(table, ticket.imageId)).toMatchObject({ status: 'rejected', size: 0 });
      expect(await objects.head(ticket.key)).toBeUndefined();
    });

    it('skips an upload that no longer exists', async () => {
      const ticket = await pendingUpload();
      expect(await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log })).toMatchObject({ outcome: 'skipped', why: 'upload no longer exists' });
      expect((await getImage(table, ticket.imageId))?.status).toBe('pending');
    });

    it('deletes an upload no row asked for, and ignores keys it did not hand out and removals', async () => {
      const orphan = `uploads/${newId()}.png`;
      await objects.put(orphan, Buffer.from('x'));
      expect(await processUpload(ossRecord(orphan), { objects, table, engine, clock, log })).toMatchObject({ outcome: 'skipped', why: expect.stringContaining('orphan') });
      expect(objects.deleted).toEqual([orphan]);
      expect(await processUpload(ossRecord('uploads/../thumbs/x.jpg'), { objects, table, engine, clock, log })).toMatchObject({ outcome: 'skipped' });
      const ticket = await pendingUpload();
      expect(await processUpload(ossRecord(ticket.key, 'ObjectRemoved:DeleteObject'), { objects, table, engine, clock, log })).toMatchObject({ outcome: 'skipped', why: 'ObjectRemoved:DeleteObject' });
    });

    it('does nothing for an image that is no longer pending (redelivery)', async () => {
      const ticket = await pendingUpload();
      await objects.put(ticket.key, await photoLikeJpeg(400, 300), { contentType: 'image/jpeg' });
      await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log });
      await catalogThumbnails([ossRecord(thumbnailKey(ticket.imageId, 'small'))], { objects, table, clock, log });
      const puts = objects.puts.length;
      expect(await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log })).toMatchObject({ outcome: 'skipped', why: 'already ready' });
      expect(objects.puts.length).toBe(puts);
    });
  });

  describe('catalog-image', () => {
    it('moves the row to ready once, with dimensions and thumbnail keys', async () => {
      const ticket = await pendingUpload();
      await objects.put(ticket.key, await photoLikeJpeg(640, 480), { contentType: 'image/jpeg' });
      await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log });
      clock.advance(1000);
      const event = [ossRecord(thumbnailKey(ticket.imageId, 'small'))];
      expect(await catalogThumbnails(event, { objects, table, clock, log })).toEqual([{ imageId: ticket.imageId, outcome: 'ready' }]);
      const ready = await getImage(table, ticket.imageId);
      expect(ready).toMatchObject({ status: 'ready', width: 640, height: 480, format: 'jpeg', thumbSmallKey: thumbnailKey(ticket.imageId, 'small'), thumbLargeKey: thumbnailKey(ticket.imageId, 'large'), updatedAt: clock.now() });
      clock.advance(1000);
      expect(await catalogThumbnails(event, { objects, table, clock, log })).toEqual([{ imageId: ticket.imageId, outcome: 'already-done' }]);
      expect(await getImage(table, ticket.imageId)).toEqual(ready);
    });

    it('retries while the large thumbnail is missing, and removes thumbnails without a row', async () => {
      const ticket = await pendingUpload();
      await objects.put(thumbnailKey(ticket.imageId, 'small'), Buffer.from('webp'));
      await expect(catalogThumbnails([ossRecord(thumbnailKey(ticket.imageId, 'small'))], { objects, table, clock, log })).rejects.toBeInstanceOf(RetryableError);
      const stray = newId();
      await objects.put(thumbnailKey(stray, 'small'), Buffer.from('webp'));
      expect(await catalogThumbnails([ossRecord(thumbnailKey(stray, 'small'))], { objects, table, clock, log })).toEqual([{ imageId: stray, outcome: 'orphan-removed' }]);
      expect(await objects.head(thumbnailKey(stray, 'small'))).toBeUndefined();
    });
  });

  describe('round trips', () => {
    /** Records when each read starts and ends, so a test can tell reads made together from reads made in turn. */
    function recordReads() {
      const events: string[] = [];
      const track = <T>(name: string, run: () => Promise<T>) => {
        events.push(`start ${name}`);
        return run().finally(() => events.push(`end ${name}`));
      };
      const getRow = table.getRow.bind(table);
      const head = objects.head.bind(objects);
      const get = objects.get.bind(objects);
      table.getRow = (...args: Parameters<typeof getRow>) => track('row', () => getRow(...args));
      objects.head = (key: string) => track(`head ${key}`, () => head(key));
      objects.get = (key: string, options?: Parameters<typeof get>[1]) => track(`get ${key}`, () => get(key, options));
      restore = () => {
        table.getRow = getRow;
        objects.head = head;
        objects.get = get;
      };
      return events;
    }
    let restore = () => undefined as void;
    function deferred() {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    }
    const readsBeforeFirstEnd = (events: string[]) => events.slice(0, events.findIndex((e) => e.startsWith('end'))).map((e) => e.slice('start '.length));
    afterEach(() => restore());

    it('make-thumbnail reads the row and the upload’s bytes together, with no HEAD before them (D174)', async () => {
      const ticket = await pendingUpload();
      await objects.put(ticket.key, await photoLikeJpeg(320, 240), { contentType: 'image/jpeg' });
      const events = recordReads();
      expect(await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log })).toMatchObject({ outcome: 'thumbnailed' });
      expect(readsBeforeFirstEnd(events).sort()).toEqual([`get ${ticket.key}`, 'row']);
      expect(events.filter((e) => e.startsWith('start head'))).toEqual([]);
    });

    it('make-thumbnail reads the upload’s bytes without waiting for the row', async () => {
      const ticket = await pendingUpload();
      await objects.put(ticket.key, await photoLikeJpeg(320, 240), { contentType: 'image/jpeg' });
      // The row read waits until the test lets it answer.
      const row = deferred();
      const original = table.getRow;
      const getRow = original.bind(table);
      table.getRow = async (...args: Parameters<typeof getRow>) => {
        await row.promise;
        return getRow(...args);
      };
      const events = recordReads();
      try {
        const outcome = processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log });
        await eventually(() => expect(events).toContain(`end get ${ticket.key}`));
        expect(events).not.toContain('end row');
        row.resolve();
        expect(await outcome).toMatchObject({ outcome: 'thumbnailed' });
      } finally {
        restore();
        table.getRow = original;
      }
    });

    it('make-thumbnail fails on a failed GET only when it needs the bytes', async () => {
      const ticket = await pendingUpload();
      await objects.put(ticket.key, await photoLikeJpeg(320, 240), { contentType: 'image/jpeg' });
      const get = jest.spyOn(objects, 'get').mockRejectedValue(new Error('connection reset'));
      await expect(processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log })).rejects.toThrow('connection reset');
      // A redelivery after the image was settled is skipped whatever the GET does.
      await transitionImage(table, ticket.imageId, { status: 'rejected', reason: 'corrupt', updatedAt: clock.now() });
      expect(await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log })).toMatchObject({ outcome: 'skipped', why: 'already rejected' });
      get.mockRestore();
    });

    it('catalog-image reads the row and both thumbnails’ metadata together', async () => {
      const ticket = await pendingUpload();
      await objects.put(ticket.key, await photoLikeJpeg(320, 240), { contentType: 'image/jpeg' });
      await processUpload(ossRecord(ticket.key), { objects, table, engine, clock, log });
      const events = recordReads();
      expect(await catalogThumbnails([ossRecord(thumbnailKey(ticket.imageId, 'small'))], { objects, table, clock, log })).toEqual([{ imageId: ticket.imageId, outcome: 'ready' }]);
      expect(readsBeforeFirstEnd(events)).toEqual(['row', `head ${thumbnailKey(ticket.imageId, 'small')}`, `head ${thumbnailKey(ticket.imageId, 'large')}`]);
    });
  });

  describe('index-image', () => {
    const record = (imageId: string, type: 'PutRow' | 'UpdateRow' | 'DeleteRow' = 'UpdateRow') => ({ type, primaryKey: { imageId }, columns: [], timestamp: clock.now() });

    async function imageRow(status: ImageRecord['status'], title: string): Promise<string> {
      const imageId = newId();
      await insertImage(table, { imageId, status, owner: 'alice', filename: 'a.jpg', title, tags: ['t'], contentType: 'image/jpeg', declaredSize: 1, uploadKey: `uploads/${imageId}.jpg`, createdAt: clock.now(), updatedAt: clock.now(), width: 10, height: 20 });
      return imageId;
    }

    it('mirrors the current row: ready is upserted once per batch, pending left alone, rejected and deleted removed', async () => {
      const word = `zebra${Date.now()}`;
      const ready = await imageRow('ready', `${word} one`);
      const pending = await imageRow('pending', `${word} two`);
      const rejected = await imageRow('rejected', `${word} three`);
      const upsert = jest.spyOn(search, 'upsert');
      const outcomes = await indexImages([record(ready, 'PutRow'), record(ready), record(pending), record(rejected), record('img_gone', 'DeleteRow')], { table, search, log });
      expect(outcomes).toEqual([
        { imageId: ready, action: 'upserted' },
        { imageId: pending, action: 'unchanged' },
        { imageId: rejected, action: 'removed' },
        { imageId: 'img_gone', action: 'removed' },
      ]);
      expect(upsert).toHaveBeenCalledTimes(1);
      const hits = (await search.search({ text: word })).hits.map((h) => h.document);
      expect(hits).toEqual([expect.objectContaining({ id: ready, title: `${word} one`, fields: { width: 10, height: 20, owner: 'alice' } })]);
      await indexImages([record(ready)], { table, search, log });
      expect((await search.search({ text: word })).hits).toHaveLength(1);
    });

    it('reads no row for an image whose only record is its pending PutRow, and reads it once another change comes (D174)', async () => {
      const word = `okapi${Date.now()}`;
      const imageId = await imageRow('pending', `${word} one`);
      const put = { type: 'PutRow' as const, primaryKey: { imageId }, columns: [{ type: 'Put' as const, name: 'status', value: 'pending', timestamp: clock.now() }], timestamp: clock.now() };
      const original = table.getRow;
      const reads: unknown[] = [];
      table.getRow = (...args: Parameters<typeof original>) => (reads.push(args[1]), original.apply(table, args));
      try {
        expect(await indexImages([put], { table, search, log })).toEqual([{ imageId, action: 'unchanged' }]);
        expect(reads).toEqual([]);
        // The same PutRow beside a later change of the row in one batch: the row is read and mirrored.
        await transitionImage(table, imageId, { status: 'ready', updatedAt: clock.now() });
        expect(await indexImages([put, record(imageId)], { table, search, log })).toEqual([{ imageId, action: 'upserted' }]);
        expect(reads).toEqual([{ imageId }]);
        // A PutRow that writes another status is read too.
        const other = await imageRow('ready', `${word} two`);
        expect(await indexImages([{ ...put, primaryKey: { imageId: other }, columns: [{ ...put.columns[0]!, value: 'ready' }] }], { table, search, log })).toEqual([{ imageId: other, action: 'upserted' }]);
      } finally {
        table.getRow = original;
      }
      expect((await search.search({ text: word })).hits).toHaveLength(2);
    });
  });

  describe('image-api views', () => {
    it('give thumbnail paths only for ready images', () => {
      const base: ImageRecord = { imageId: 'img_x', status: 'pending', owner: 'a', filename: 'a.jpg', title: 't', tags: [], contentType: 'image/jpeg', declaredSize: 1, uploadKey: 'uploads/img_x.jpg', createdAt: 0, updatedAt: 0 };
      expect(toView(base).thumbnails).toBeUndefined();
      expect(toView({ ...base, status: 'ready' }).thumbnails).toEqual({ small: '/api/images/img_x/thumbnail/256', large: '/api/images/img_x/thumbnail/1024' });
      expect(toView({ ...base, status: 'rejected', reason: 'corrupt' })).toMatchObject({ status: 'rejected', reason: 'corrupt' });
    });
  });
});
