/**
 * Persistence for the OSS emulator: object bodies as files, everything else as rows in the shared SQLite db
 * (tables prefixed `oss_`).
 *
 * Layout under `<dataDir>/oss/`:
 *   <bucket>/<aa>/<blobId>      object bodies; blobId is random hex, never derived from the key, so no key
 *                               (`../x`, `a/../../b`, `/etc/passwd`, NUL…) can name a path outside the bucket
 *   .tmp/                       bodies being received; emptied at start
 *   .multipart/<uploadId>/      staged parts (`<partNumber>.<rand>`), removed on complete or abort
 *
 * Crash safety (a killed process loses no acknowledged write): a body is written to .tmp and flushed, renamed
 * to a fresh blob path, and only then is the row pointing at it committed; the replaced blob is unlinked after
 * the commit. A crash in between leaves an unreferenced blob, which `init()` collects. Every write creates a
 * new blob, so readers that opened the previous one keep reading consistent bytes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, openSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { Crc64 } from './crc64';
import { discardBody, tempName, type StagedBody } from './body';
import { ossErrors } from './errors';

export type ObjectType = 'Normal' | 'Multipart';

/** Standard HTTP headers OSS stores with an object and returns on GET/HEAD. */
export interface ObjectHeaders {
  contentType: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  /** `x-oss-meta-*` without the prefix, names lower-cased. */
  meta: Record<string, string>;
}

export interface ObjectRecord extends ObjectHeaders {
  bucket: string;
  key: string;
  blob: string;
  size: number;
  /** Upper-case hex MD5 (or `<hex>-<parts>` for multipart), without quotes. */
  etag: string;
  /** Base64 MD5 of the content (Normal objects only). */
  contentMd5?: string;
  crc64: string;
  lastModified: number;
  type: ObjectType;
}

export interface UploadRecord extends ObjectHeaders {
  uploadId: string;
  bucket: string;
  key: string;
  initiated: number;
}

export interface PartRecord {
  partNumber: number;
  etag: string;
  size: number;
  file: string;
  lastModified: number;
}

export interface BucketRecord {
  name: string;
  createdAt: number;
}

interface ObjectRow {
  bucket: string;
  key: string;
  blob: string;
  size: number;
  etag: string;
  content_md5: string | null;
  crc64: string;
  last_modified: number;
  type: string;
  headers: string;
}

interface UploadRow {
  upload_id: string;
  bucket: string;
  key: string;
  initiated: number;
  headers: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS oss_buckets (
  name TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS oss_objects (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  content_md5 TEXT,
  crc64 TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  type TEXT NOT NULL,
  headers TEXT NOT NULL,
  PRIMARY KEY (bucket, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS oss_uploads (
  upload_id TEXT PRIMARY KEY,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  initiated INTEGER NOT NULL,
  headers TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS oss_parts (
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  size INTEGER NOT NULL,
  file TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
`;

/** OSS requires every part but the last to be at least 100 KB. */
export const MIN_PART_SIZE = 100 * 1024;

/** OSS bucket naming rule: 3–63 chars, lower-case letters, digits and hyphens, not starting/ending with a hyphen. */
export const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export class OssStorage {
  readonly tmpDir: string;
  private readonly multipartDir: string;
  private readonly statements;

  constructor(
    readonly root: string,
    private readonly db: BetterSqlite3.Database,
    private readonly clock: () => number,
  ) {
    this.tmpDir = join(root, '.tmp');
    this.multipartDir = join(root, '.multipart');
    db.exec(SCHEMA);
    this.statements = {
      bucket: db.prepare<[string], BucketRecord>('SELECT name, created_at AS createdAt FROM oss_buckets WHERE name = ?'),
      buckets: db.prepare<[], BucketRecord>('SELECT name, created_at AS createdAt FROM oss_buckets ORDER BY name'),
      insertBucket: db.prepare<[string, number]>('INSERT OR IGNORE INTO oss_buckets (name, created_at) VALUES (?, ?)'),
      object: db.prepare<[string, string], ObjectRow>('SELECT * FROM oss_objects WHERE bucket = ? AND key = ?'),
      upsertObject: db.prepare<[string, string, string, number, string, string | null, string, number, string, string]>(
        `INSERT INTO oss_objects (bucket, key, blob, size, etag, content_md5, crc64, last_modified, type, headers)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (bucket, key) DO UPDATE SET blob = excluded.blob, size = excluded.size, etag = excluded.etag,
           content_md5 = excluded.content_md5, crc64 = excluded.crc64, last_modified = excluded.last_modified,
           type = excluded.type, headers = excluded.headers`,
      ),
      deleteObject: db.prepare<[string, string]>('DELETE FROM oss_objects WHERE bucket = ? AND key = ?'),
      nextInclusive: db.prepare<[string, string], ObjectRow>('SELECT * FROM oss_objects WHERE bucket = ? AND key >= ? ORDER BY key LIMIT 1'),
      nextExclusive: db.prepare<[string, string], ObjectRow>('SELECT * FROM oss_objects WHERE bucket = ? AND key > ? ORDER BY key LIMIT 1'),
      blobs: db.prepare<[string], { blob: string }>('SELECT blob FROM oss_objects WHERE bucket = ?'),
      upload: db.prepare<[string], UploadRow>('SELECT * FROM oss_uploads WHERE upload_id = ?'),
      uploadIds: db.prepare<[], { upload_id: string }>('SELECT upload_id FROM oss_uploads'),
      insertUpload: db.prepare<[string, string, string, number, string]>('INSERT INTO oss_uploads (upload_id, bucket, key, initiated, headers) VALUES (?, ?, ?, ?, ?)'),
      deleteUpload: db.prepare<[string]>('DELETE FROM oss_uploads WHERE upload_id = ?'),
      part: db.prepare<[string, number], { file: string }>('SELECT file FROM oss_parts WHERE upload_id = ? AND part_number = ?'),
      parts: db.prepare<[string], { part_number: number; etag: string; size: number; file: string; last_modified: number }>(
        'SELECT part_number, etag, size, file, last_modified FROM oss_parts WHERE upload_id = ? ORDER BY part_number',
      ),
      upsertPart: db.prepare<[string, number, string, number, string, number]>(
        `INSERT INTO oss_parts (upload_id, part_number, etag, size, file, last_modified) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (upload_id, part_number) DO UPDATE SET etag = excluded.etag, size = excluded.size, file = excluded.file,
           last_modified = excluded.last_modified`,
      ),
      deleteParts: db.prepare<[string]>('DELETE FROM oss_parts WHERE upload_id = ?'),
    };
  }

  /** Creates the folders, empties .tmp and collects blobs and part files that no row references. */
  async init(): Promise<void> {
    await rm(this.tmpDir, { recursive: true, force: true });
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(this.multipartDir, { recursive: true });
    for (const bucket of this.listBuckets()) this.collectOrphanBlobs(bucket.name);
    this.collectOrphanParts();
  }

  // ---- buckets ----

  async createBucket(name: string): Promise<void> {
    if (!BUCKET_NAME.test(name)) throw ossErrors.invalidBucketName(name);
    await mkdir(join(this.root, name), { recursive: true });
    this.statements.insertBucket.run(name, this.clock());
  }

  hasBucket(name: string): boolean {
    return this.statements.bucket.get(name) !== undefined;
  }

  listBuckets(): BucketRecord[] {
    return this.statements.buckets.all();
  }

  // ---- objects ----

  getObject(bucket: string, key: string): ObjectRecord | undefined {
    const row = this.statements.object.get(bucket, key);
    return row && toRecord(row);
  }

  /**
   * Reads the row and opens its blob in the same tick, so a concurrent overwrite (which unlinks the old blob
   * only after its commit) cannot pull the file away between the two.
   */
  openObject(bucket: string, key: string): { record: ObjectRecord; fd: number } | undefined {
    const record = this.getObject(bucket, key);
    if (!record) return undefined;
    return { record, fd: openSync(this.blobPath(bucket, record.blob), 'r') };
  }

  /** Next object at or after `from` in byte order (what OSS listings use; SQLite's BINARY collation is memcmp on UTF-8). */
  nextObject(bucket: string, from: string, inclusive: boolean): ObjectRecord | undefined {
    const row = (inclusive ? this.statements.nextInclusive : this.statements.nextExclusive).get(bucket, from);
    return row && toRecord(row);
  }

  /**
   * Moves a received body into place as `bucket/key` and commits its row; returns the object it replaced.
   * With `forbidOverwrite` (x-oss-forbid-overwrite) an existing key fails with FileAlreadyExists.
   */
  async commitObject(
    bucket: string,
    key: string,
    staged: StagedBody,
    headers: ObjectHeaders,
    options: { type: ObjectType; etag?: string; forbidOverwrite?: boolean; extraCommit?: () => void },
  ): Promise<{ record: ObjectRecord; previous: ObjectRecord | undefined }> {
    const record: ObjectRecord = {
      ...headers,
      bucket,
      key,
      blob: newBlobId(),
      size: staged.size,
      etag: options.etag ?? staged.md5.toString('hex').toUpperCase(),
      contentMd5: options.type === 'Normal' ? staged.md5.toString('base64') : undefined,
      crc64: staged.crc64,
      lastModified: this.clock(),
      type: options.type,
    };
    const path = this.blobPath(bucket, record.blob);
    try {
      await mkdir(dirname(path), { recursive: true });
      await rename(staged.path, path);
    } catch (err) {
      await discardBody(staged);
      throw err;
    }
    let previous: ObjectRecord | undefined;
    try {
      this.db.transaction(() => {
        previous = this.getObject(bucket, key);
        if (previous && options.forbidOverwrite) throw ossErrors.fileAlreadyExists();
        this.statements.upsertObject.run(
          bucket, key, record.blob, record.size, record.etag, record.contentMd5 ?? null, record.crc64,
          record.lastModified, record.type, JSON.stringify(headersOf(record)),
        );
        options.extraCommit?.();
      })();
    } catch (err) {
      await unlink(path).catch(() => undefined);
      throw err;
    }
    if (previous) await this.unlinkBlob(bucket, previous.blob);
    return { record, previous };
  }

  /**
   * Server-side copy. The source blob is opened in the same tick as its row is read, then streamed (and
   * hashed) into a new blob. The copy keeps the source's ETag and object type.
   */
  async copyObject(
    source: { bucket: string; key: string },
    target: { bucket: string; key: string },
    headers: ObjectHeaders | 'copy',
    options: { forbidOverwrite?: boolean } = {},
  ): Promise<{ record: ObjectRecord; previous: ObjectRecord | undefined }> {
    const opened = this.openObject(source.bucket, source.key);
    if (!opened) throw ossErrors.noSuchKey(source.key);
    const { record: src, fd } = opened;
    const path = tempName(this.tmpDir);
    const md5 = createHash('md5');
    try {
      await pipeline(
        createReadStream('', { fd, autoClose: true }),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            md5.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(path, { flags: 'wx', flush: true }),
      );
    } catch (err) {
      await unlink(path).catch(() => undefined);
      throw err;
    }
    const staged: StagedBody = { path, size: src.size, md5: md5.digest(), crc64: src.crc64, sha256Hex: '' };
    return this.commitObject(target.bucket, target.key, staged, headers === 'copy' ? headersOf(src) : headers, {
      type: src.type,
      etag: src.etag,
      forbidOverwrite: options.forbidOverwrite,
    });
  }

  /** Removes `bucket/key`; returns what was removed (undefined when it did not exist, which is not an error). */
  async deleteObject(bucket: string, key: string): Promise<ObjectRecord | undefined> {
    let removed: ObjectRecord | undefined;
    this.db.transaction(() => {
      removed = this.getObject(bucket, key);
      if (removed) this.statements.deleteObject.run(bucket, key);
    })();
    if (removed) await this.unlinkBlob(bucket, removed.blob);
    return removed;
  }

  // ---- multipart ----

  createUpload(bucket: string, key: string, headers: ObjectHeaders): UploadRecord {
    const upload: UploadRecord = { ...headers, uploadId: randomBytes(16).toString('hex').toUpperCase(), bucket, key, initiated: this.clock() };
    this.statements.insertUpload.run(upload.uploadId, bucket, key, upload.initiated, JSON.stringify(headers));
    return upload;
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const row = this.statements.upload.get(uploadId);
    if (!row) return undefined;
    return { ...(JSON.parse(row.headers) as ObjectHeaders), uploadId: row.upload_id, bucket: row.bucket, key: row.key, initiated: row.initiated };
  }

  listParts(uploadId: string): PartRecord[] {
    return this.statements.parts.all(uploadId).map((row) => ({
      partNumber: row.part_number,
      etag: row.etag,
      size: row.size,
      file: row.file,
      lastModified: row.last_modified,
    }));
  }

  async putPart(uploadId: string, partNumber: number, staged: StagedBody): Promise<PartRecord> {
    const dir = join(this.multipartDir, uploadId);
    await mkdir(dir, { recursive: true });
    const part: PartRecord = {
      partNumber,
      etag: staged.md5.toString('hex').toUpperCase(),
      size: staged.size,
      file: `${partNumber}.${randomBytes(6).toString('hex')}`,
      lastModified: this.clock(),
    };
    await rename(staged.path, join(dir, part.file));
    let replaced: string | undefined;
    let aborted = false;
    this.db.transaction(() => {
      // The upload may have been completed or aborted while this part was streaming in.
      if (!this.statements.upload.get(uploadId)) {
        aborted = true;
        return;
      }
      replaced = this.statements.part.get(uploadId, partNumber)?.file;
      this.statements.upsertPart.run(uploadId, partNumber, part.etag, part.size, part.file, part.lastModified);
    })();
    if (aborted) {
      await unlink(join(dir, part.file)).catch(() => undefined);
      throw ossErrors.noSuchUpload(uploadId);
    }
    if (replaced) await unlink(join(dir, replaced)).catch(() => undefined);
    return part;
  }

  /**
   * Concatenates the chosen parts into one new object. ETag as OSS/S3 compute it for multipart objects:
   * MD5 of the concatenated binary part MD5s, upper-case hex, plus `-<part count>`.
   */
  async completeUpload(
    upload: UploadRecord,
    parts: PartRecord[],
    options: { forbidOverwrite?: boolean } = {},
  ): Promise<{ record: ObjectRecord; previous: ObjectRecord | undefined }> {
    const dir = join(this.multipartDir, upload.uploadId);
    const path = tempName(this.tmpDir);
    const crc = new Crc64();
    const etagHash = createHash('md5');
    let size = 0;
    const out = createWriteStream(path, { flags: 'wx', flush: true });
    try {
      for (const part of parts) {
        etagHash.update(Buffer.from(part.etag, 'hex'));
        for await (const chunk of createReadStream(join(dir, part.file)) as AsyncIterable<Buffer>) {
          crc.update(chunk);
          size += chunk.length;
          if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
        }
      }
      await new Promise<void>((resolve, reject) => {
        out.once('error', reject);
        out.end();
        out.once('close', () => resolve());
      });
    } catch (err) {
      out.destroy();
      await unlink(path).catch(() => undefined);
      // A concurrent complete or abort removed the staged parts under us.
      if (!this.statements.upload.get(upload.uploadId)) throw ossErrors.noSuchUpload(upload.uploadId);
      throw err;
    }
    const staged: StagedBody = { path, size, md5: Buffer.alloc(16), crc64: crc.digest(), sha256Hex: '' };
    const etag = `${etagHash.digest('hex').toUpperCase()}-${parts.length}`;
    try {
      const committed = await this.commitObject(upload.bucket, upload.key, staged, headersOf(upload), {
        type: 'Multipart',
        etag,
        forbidOverwrite: options.forbidOverwrite,
        extraCommit: () => {
          if (!this.statements.upload.get(upload.uploadId)) throw ossErrors.noSuchUpload(upload.uploadId);
          this.statements.deleteParts.run(upload.uploadId);
          this.statements.deleteUpload.run(upload.uploadId);
        },
      });
      await rm(dir, { recursive: true, force: true });
      return committed;
    } catch (err) {
      await discardBody(staged);
      throw err;
    }
  }

  async abortUpload(uploadId: string): Promise<void> {
    this.db.transaction(() => {
      this.statements.deleteParts.run(uploadId);
      this.statements.deleteUpload.run(uploadId);
    })();
    await rm(join(this.multipartDir, uploadId), { recursive: true, force: true });
  }

  // ---- files ----

  blobPath(bucket: string, blob: string): string {
    return join(this.root, bucket, blob.slice(0, 2), blob);
  }

  private async unlinkBlob(bucket: string, blob: string): Promise<void> {
    await unlink(this.blobPath(bucket, blob)).catch(() => undefined);
  }

  private collectOrphanBlobs(bucket: string): void {
    const referenced = new Set(this.statements.blobs.all(bucket).map((row) => row.blob));
    const bucketDir = join(this.root, bucket);
    for (const shard of safeReaddir(bucketDir)) {
      for (const blob of safeReaddir(join(bucketDir, shard))) {
        if (!referenced.has(blob)) rmSync(join(bucketDir, shard, blob), { force: true });
      }
    }
  }

  private collectOrphanParts(): void {
    const uploads = new Set(this.statements.uploadIds.all().map((row) => row.upload_id));
    for (const uploadId of safeReaddir(this.multipartDir)) {
      const dir = join(this.multipartDir, uploadId);
      if (!uploads.has(uploadId)) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const referenced = new Set(this.listParts(uploadId).map((part) => part.file));
      for (const file of safeReaddir(dir)) if (!referenced.has(file)) rmSync(join(dir, file), { force: true });
    }
  }
}

function newBlobId(): string {
  return randomBytes(16).toString('hex');
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function headersOf(record: ObjectHeaders): ObjectHeaders {
  const { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires, meta } = record;
  return { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires, meta };
}

function toRecord(row: ObjectRow): ObjectRecord {
  return {
    ...(JSON.parse(row.headers) as ObjectHeaders),
    bucket: row.bucket,
    key: row.key,
    blob: row.blob,
    size: row.size,
    etag: row.etag,
    contentMd5: row.content_md5 ?? undefined,
    crc64: row.crc64,
    lastModified: row.last_modified,
    type: row.type === 'Multipart' ? 'Multipart' : 'Normal',
  };
}
