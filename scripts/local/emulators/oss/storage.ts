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
import { closeSync, createReadStream, createWriteStream, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { mkdir, open, rename, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { Crc64 } from './crc64';
import { discardBody, tempName, type StagedBody } from './body';
import { ossErrors } from './errors';
import type { EventObject, EventStamp, OssEventOutbox } from './event-outbox';

export type ObjectType = 'Normal' | 'Multipart' | 'Appendable' | 'Symlink';

export const STORAGE_CLASSES = ['Standard', 'IA', 'Archive', 'ColdArchive', 'DeepColdArchive'] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];
export const OBJECT_ACLS = ['default', 'private', 'public-read', 'public-read-write'] as const;
export type ObjectAcl = (typeof OBJECT_ACLS)[number];
export type BucketAcl = Exclude<ObjectAcl, 'default'>;

/** Server-side encryption as requested by `x-oss-server-side-*` headers (stored and echoed; bytes are not encrypted). */
export interface Encryption {
  algorithm: 'AES256' | 'KMS' | 'SM4';
  keyId?: string;
  dataEncryption?: 'SM4';
}

/** RestoreObject state of an Archive / ColdArchive / DeepColdArchive object. */
export interface RestoreState {
  /** When the restored copy becomes readable (epoch ms). */
  readyAt: number;
  /** When it stops being readable again (epoch ms). */
  expiresAt: number;
}

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
  /** Absent in rows written before these attributes existed: Standard, default ACL, no tags. */
  storageClass?: StorageClass;
  acl?: ObjectAcl;
  tags?: Record<string, string>;
  encryption?: Encryption;
  /** PutSymlink: the key this symlink points to (same bucket). */
  symlinkTarget?: string;
  restore?: RestoreState;
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
  /**
   * The version this record is (D156): a generated id in a bucket with versioning Enabled, `null` for one written
   * while Suspended; undefined for an object written before versioning was ever enabled (OSS's `null` version too).
   */
  versionId?: string;
}

/** Versioning state of a bucket: undefined while it was never enabled (objects are overwritten and deleted for good). */
export type VersioningState = 'Enabled' | 'Suspended' | undefined;

/** A delete marker (D156): the version a DeleteObject without versionId leaves in a versioned bucket. */
export interface DeleteMarker {
  bucket: string;
  key: string;
  versionId: string;
  lastModified: number;
}

/** One version of a key, as ListObjectVersions and `?versionId=` see it. */
export type VersionEntry =
  | { kind: 'object'; record: ObjectRecord & { versionId: string }; isLatest: boolean }
  | { kind: 'marker'; marker: DeleteMarker; isLatest: boolean };

/** What a DeleteObject did: the object it took away (if any) and the delete marker it left (versioned buckets). */
export interface DeleteOutcome {
  removed?: ObjectRecord;
  deleteMarker?: DeleteMarker;
}

/** What a DeleteObject with a versionId did: the version it removed for good, undefined when there was none. */
export type RemovedVersion = VersionEntry | undefined;

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
  /** Bucket configurations as stored by the Put* APIs (see bucket-config.ts); `{}` until one is set. */
  config: BucketConfig;
}

/** Every bucket configuration the emulator stores; each key is one sub-resource (`?acl`, `?cors`…). */
export interface BucketConfig {
  acl?: BucketAcl;
  storageClass?: StorageClass;
  dataRedundancyType?: 'LRS' | 'ZRS';
  /** The rest are the parsed configuration documents, normalised by bucket-config.ts. */
  cors?: unknown;
  referer?: unknown;
  website?: unknown;
  lifecycle?: unknown;
  tagging?: Record<string, string>;
  versioning?: 'Enabled' | 'Suspended';
  encryption?: unknown;
  policy?: string;
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
  version_id: string | null;
}

/** A previous version or a delete marker: an object row with its place in the key's history. */
interface VersionRow extends Omit<ObjectRow, 'version_id'> {
  seq: number;
  version_id: string;
  delete_marker: number;
}

interface BucketRow {
  name: string;
  created_at: number;
  config: string;
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
  created_at INTEGER NOT NULL,
  config TEXT NOT NULL DEFAULT '{}'
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
-- Versioned buckets (D156): every version that is not the current object, and every delete marker (current or
-- not). The current object stays in oss_objects, so listings, reads and unversioned buckets never look here.
-- seq orders a key's versions, newest last; version ids are random and say nothing of order.
CREATE TABLE IF NOT EXISTS oss_versions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  version_id TEXT NOT NULL,
  delete_marker INTEGER NOT NULL,
  blob TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  content_md5 TEXT,
  crc64 TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  type TEXT NOT NULL,
  headers TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS oss_versions_by_id ON oss_versions (bucket, key, version_id);
CREATE INDEX IF NOT EXISTS oss_versions_by_key ON oss_versions (bucket, key, seq);
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
    /** Where writes given an `event` record it (D151); without one (no subscriber), no event is recorded. */
    private readonly outbox?: OssEventOutbox,
  ) {
    this.tmpDir = join(root, '.tmp');
    this.multipartDir = join(root, '.multipart');
    db.exec(SCHEMA);
    // Data folders from before bucket configurations existed.
    if (!db.prepare<[], { name: string }>('PRAGMA table_info(oss_buckets)').all().some((c) => c.name === 'config')) {
      db.exec("ALTER TABLE oss_buckets ADD COLUMN config TEXT NOT NULL DEFAULT '{}'");
    }
    // Data folders from before object versions (D156): their objects are every key's `null` version.
    if (!db.prepare<[], { name: string }>('PRAGMA table_info(oss_objects)').all().some((c) => c.name === 'version_id')) {
      db.exec('ALTER TABLE oss_objects ADD COLUMN version_id TEXT');
    }
    this.statements = {
      bucket: db.prepare<[string], BucketRow>('SELECT name, created_at, config FROM oss_buckets WHERE name = ?'),
      buckets: db.prepare<[], BucketRow>('SELECT name, created_at, config FROM oss_buckets ORDER BY name'),
      insertBucket: db.prepare<[string, number, string]>('INSERT OR IGNORE INTO oss_buckets (name, created_at, config) VALUES (?, ?, ?)'),
      updateBucketConfig: db.prepare<[string, string]>('UPDATE oss_buckets SET config = ? WHERE name = ?'),
      deleteBucket: db.prepare<[string]>('DELETE FROM oss_buckets WHERE name = ?'),
      anyObject: db.prepare<[string], { key: string }>('SELECT key FROM oss_objects WHERE bucket = ? LIMIT 1'),
      anyUpload: db.prepare<[string], { upload_id: string }>('SELECT upload_id FROM oss_uploads WHERE bucket = ? LIMIT 1'),
      updateHeaders: db.prepare<[string, string, string]>('UPDATE oss_objects SET headers = ? WHERE bucket = ? AND key = ?'),
      uploadsOf: db.prepare<[string], UploadRow>('SELECT * FROM oss_uploads WHERE bucket = ? ORDER BY key, upload_id'),
      object: db.prepare<[string, string], ObjectRow>('SELECT * FROM oss_objects WHERE bucket = ? AND key = ?'),
      upsertObject: db.prepare<[string, string, string, number, string, string | null, string, number, string, string, string | null]>(
        `INSERT INTO oss_objects (bucket, key, blob, size, etag, content_md5, crc64, last_modified, type, headers, version_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (bucket, key) DO UPDATE SET blob = excluded.blob, size = excluded.size, etag = excluded.etag,
           content_md5 = excluded.content_md5, crc64 = excluded.crc64, last_modified = excluded.last_modified,
           type = excluded.type, headers = excluded.headers, version_id = excluded.version_id`,
      ),
      versionsOf: db.prepare<[string, string], VersionRow>('SELECT * FROM oss_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC'),
      latestVersion: db.prepare<[string, string], VersionRow>('SELECT * FROM oss_versions WHERE bucket = ? AND key = ? ORDER BY seq DESC LIMIT 1'),
      versionById: db.prepare<[string, string, string], VersionRow>('SELECT * FROM oss_versions WHERE bucket = ? AND key = ? AND version_id = ?'),
      insertVersion: db.prepare<[string, string, string, number, string, number, string, string | null, string, number, string, string]>(
        `INSERT INTO oss_versions (bucket, key, version_id, delete_marker, blob, size, etag, content_md5, crc64, last_modified, type, headers)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteVersionRow: db.prepare<[number]>('DELETE FROM oss_versions WHERE seq = ?'),
      updateVersionHeaders: db.prepare<[string, string, string, string]>('UPDATE oss_versions SET headers = ? WHERE bucket = ? AND key = ? AND version_id = ? AND delete_marker = 0'),
      versionsOfBucket: db.prepare<[string], VersionRow>('SELECT * FROM oss_versions WHERE bucket = ?'),
      anyVersion: db.prepare<[string], { key: string }>('SELECT key FROM oss_versions WHERE bucket = ? LIMIT 1'),
      versionCounts: db.prepare<[string], { versions: number | null; markers: number | null }>(
        'SELECT sum(delete_marker = 0) AS versions, sum(delete_marker = 1) AS markers FROM oss_versions WHERE bucket = ?',
      ),
      versionBlobs: db.prepare<[string], { blob: string }>("SELECT blob FROM oss_versions WHERE bucket = ? AND blob != ''"),
      nextVersionedKeyInclusive: db.prepare<[string, string, string, string], { key: string }>(
        `SELECT min(key) AS key FROM (SELECT min(key) AS key FROM oss_objects WHERE bucket = ? AND key >= ?
           UNION ALL SELECT min(key) FROM oss_versions WHERE bucket = ? AND key >= ?)`,
      ),
      nextVersionedKeyExclusive: db.prepare<[string, string, string, string], { key: string }>(
        `SELECT min(key) AS key FROM (SELECT min(key) AS key FROM oss_objects WHERE bucket = ? AND key > ?
           UNION ALL SELECT min(key) FROM oss_versions WHERE bucket = ? AND key > ?)`,
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

  /**
   * Copies the `oss_*` rows of a database the emulator used to share (the local cloud's `cloud.sqlite`, before the
   * emulator had its own file), so an existing data folder keeps its buckets and objects. Rows already here win.
   */
  importFrom(file: string): void {
    this.db.prepare('ATTACH DATABASE ? AS legacy').run(file);
    try {
      const has = (table: string) => this.db.prepare("SELECT 1 FROM legacy.sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
      this.db.transaction(() => {
        if (has('oss_buckets')) this.db.exec('INSERT OR IGNORE INTO oss_buckets (name, created_at) SELECT name, created_at FROM legacy.oss_buckets');
        // Named columns: oss_objects has gained `version_id` (D156) since those databases were written.
        const objectColumns = 'bucket, key, blob, size, etag, content_md5, crc64, last_modified, type, headers';
        if (has('oss_objects')) this.db.exec(`INSERT OR IGNORE INTO oss_objects (${objectColumns}) SELECT ${objectColumns} FROM legacy.oss_objects`);
        for (const table of ['oss_uploads', 'oss_parts']) {
          if (has(table)) this.db.exec(`INSERT OR IGNORE INTO ${table} SELECT * FROM legacy.${table}`);
        }
      })();
    } finally {
      this.db.exec('DETACH DATABASE legacy');
    }
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

  /** Creates the bucket unless it exists; returns whether it was created. */
  async createBucket(name: string, config: BucketConfig = {}): Promise<boolean> {
    if (!BUCKET_NAME.test(name)) throw ossErrors.invalidBucketName(name);
    await mkdir(join(this.root, name), { recursive: true });
    return this.statements.insertBucket.run(name, this.clock(), JSON.stringify(config)).changes > 0;
  }

  hasBucket(name: string): boolean {
    return this.statements.bucket.get(name) !== undefined;
  }

  getBucket(name: string): BucketRecord | undefined {
    const row = this.statements.bucket.get(name);
    return row && toBucket(row);
  }

  listBuckets(): BucketRecord[] {
    return this.statements.buckets.all().map(toBucket);
  }

  /** Replaces one configuration of a bucket (`undefined` removes it), atomically with respect to other writers. */
  setBucketConfig<K extends keyof BucketConfig>(name: string, key: K, value: BucketConfig[K] | undefined): void {
    this.db.transaction(() => {
      const bucket = this.getBucket(name);
      if (!bucket) throw ossErrors.noSuchBucket(name);
      const config: BucketConfig = { ...bucket.config };
      if (value === undefined) delete config[key];
      else config[key] = value;
      this.statements.updateBucketConfig.run(JSON.stringify(config), name);
    })();
  }

  /** DeleteBucket: only an empty bucket (no objects, no unfinished multipart uploads) can go. */
  async deleteBucket(name: string): Promise<void> {
    this.db.transaction(() => {
      if (!this.hasBucket(name)) throw ossErrors.noSuchBucket(name);
      // Previous versions and delete markers count: OSS keeps a versioned bucket until every version is gone.
      if (this.statements.anyObject.get(name) || this.statements.anyUpload.get(name) || this.statements.anyVersion.get(name)) throw ossErrors.bucketNotEmpty(name);
      this.statements.deleteBucket.run(name);
    })();
    await rm(join(this.root, name), { recursive: true, force: true });
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
  openObject(bucket: string, key: string, versionId?: string): { record: ObjectRecord; fd: number } | undefined {
    const record = versionId === undefined ? this.getObject(bucket, key) : this.getObjectVersion(bucket, key, versionId);
    if (!record) return undefined;
    if (record.type === 'Symlink') throw new Error(`openObject on the symlink ${key}: resolve it first`);
    return { record, fd: openSync(this.blobPath(bucket, record.blob), 'r') };
  }

  /** The whole body of a (small) object (or of one of its versions), read from the blob opened with its row. */
  readObject(bucket: string, key: string, versionId?: string): Buffer {
    const opened = this.openObject(bucket, key, versionId);
    if (!opened) throw ossErrors.noSuchKey(key);
    const out = Buffer.alloc(opened.record.size);
    let offset = 0;
    try {
      while (offset < out.length) {
        const read = readSync(opened.fd, out, offset, out.length - offset, offset);
        if (read === 0) break;
        offset += read;
      }
    } finally {
      closeSync(opened.fd);
    }
    return out.subarray(0, offset);
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
    options: { type: ObjectType; etag?: string; forbidOverwrite?: boolean; extraCommit?: () => void; event?: EventStamp },
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
    let dropped: string[] = [];
    try {
      this.db.transaction(() => {
        previous = this.getObject(bucket, key);
        const state = this.versioningOf(bucket);
        // OSS: x-oss-forbid-overwrite has no effect once versioning was enabled (nothing is overwritten).
        if (previous && options.forbidOverwrite && state === undefined) throw ossErrors.fileAlreadyExists();
        record.versionId = newVersionIdFor(state);
        dropped = this.supersede(bucket, key, previous, state);
        this.statements.upsertObject.run(
          bucket, key, record.blob, record.size, record.etag, record.contentMd5 ?? null, record.crc64,
          record.lastModified, record.type, JSON.stringify(headersOf(record)), record.versionId ?? null,
        );
        options.extraCommit?.();
        this.recordEvent(options.event, written(record, previous, previous !== undefined && dropped.includes(previous.blob)));
      })();
    } catch (err) {
      await unlink(path).catch(() => undefined);
      throw err;
    }
    this.deliverEvents(options.event);
    await this.unlinkBlobs(bucket, dropped);
    return { record, previous };
  }

  /**
   * Streams bytes `start`…`end` (inclusive; the whole object by default) of an object into a temp file, hashing
   * them. The blob is opened in the same tick as its row is read, so a concurrent overwrite cannot pull it away.
   */
  async stageRange(bucket: string, key: string, range?: { start: number; end: number }, versionId?: string): Promise<{ staged: StagedBody; source: ObjectRecord }> {
    const opened = this.openObject(bucket, key, versionId);
    if (!opened) throw ossErrors.noSuchKey(key);
    const { record: source, fd } = opened;
    const start = range?.start ?? 0;
    const end = range?.end ?? source.size - 1;
    const path = tempName(this.tmpDir);
    const md5 = createHash('md5');
    const crc = new Crc64();
    if (end < start) closeSync(fd);
    try {
      // Bounded by the recorded size: an Appendable blob may hold bytes of an append that never committed.
      await pipeline(
        end < start ? Readable.from([]) : createReadStream('', { fd, autoClose: true, start, end }),
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            md5.update(chunk);
            crc.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(path, { flags: 'wx', flush: true }),
      );
    } catch (err) {
      await unlink(path).catch(() => undefined);
      throw err;
    }
    return { staged: { path, size: Math.max(0, end - start + 1), md5: md5.digest(), crc64: crc.digest(), sha256Hex: '' }, source };
  }

  /** Server-side copy into `target` with the given headers. The copy keeps the source's ETag and object type. */
  async copyObject(
    source: { bucket: string; key: string; versionId?: string },
    target: { bucket: string; key: string },
    headers: ObjectHeaders,
    options: { forbidOverwrite?: boolean; event?: EventStamp } = {},
  ): Promise<{ record: ObjectRecord; previous: ObjectRecord | undefined }> {
    const { staged, source: src } = await this.stageRange(source.bucket, source.key, undefined, source.versionId);
    return this.commitObject(target.bucket, target.key, staged, headers, {
      type: src.type === 'Multipart' || src.type === 'Normal' ? src.type : 'Normal',
      etag: src.etag,
      forbidOverwrite: options.forbidOverwrite,
      event: options.event,
    });
  }

  /**
   * DeleteObject without a versionId. A bucket that never had versioning loses `bucket/key` for good; a versioned one
   * keeps it as a previous version under a new delete marker (Suspended: the marker is the `null` version, replacing
   * the one there was). Removing a key that does not exist is not an error, and without a marker not an event.
   */
  async deleteObject(bucket: string, key: string, event?: EventStamp): Promise<DeleteOutcome> {
    const outcome: DeleteOutcome = {};
    let dropped: string[] = [];
    this.db.transaction(() => {
      const current = this.getObject(bucket, key);
      const state = this.versioningOf(bucket);
      if (state === undefined) {
        if (!current) return; // not an event: nothing was removed
        this.statements.deleteObject.run(bucket, key);
        outcome.removed = current;
        dropped = [current.blob];
        this.recordEvent(event, { bucket, key, size: current.size, deltaSize: -current.size, eTag: current.etag });
        return;
      }
      dropped = this.supersede(bucket, key, current, state);
      if (current) this.statements.deleteObject.run(bucket, key);
      const marker: DeleteMarker = { bucket, key, versionId: newVersionIdFor(state)!, lastModified: this.clock() };
      this.statements.insertVersion.run(bucket, key, marker.versionId, 1, '', 0, '', null, '0', marker.lastModified, 'DeleteMarker', '{}');
      outcome.removed = current;
      outcome.deleteMarker = marker;
      // The object is gone from reads and listings; its bytes stay unless they were the `null` version.
      const freed = dropped.length > 0 && current && dropped.includes(current.blob) ? current.size : 0;
      if (current) this.recordEvent(event, { bucket, key, size: current.size, deltaSize: freed > 0 ? -freed : 0, eTag: current.etag });
    })();
    if (outcome.removed) this.deliverEvents(event);
    await this.unlinkBlobs(bucket, dropped);
    return outcome;
  }

  /**
   * DeleteObject with a versionId: removes that version (or delete marker) for good. When it was the current one,
   * the newest version left becomes current again (a delete marker stays a marker: the key still reads as deleted).
   * An id the key does not have is not an error (undefined).
   */
  async deleteVersion(bucket: string, key: string, versionId: string, event?: EventStamp): Promise<RemovedVersion> {
    let removed: RemovedVersion;
    let blob = '';
    this.db.transaction(() => {
      const current = this.statements.object.get(bucket, key);
      if (current && (current.version_id ?? 'null') === versionId) {
        const record = toRecord(current);
        this.statements.deleteObject.run(bucket, key);
        removed = { kind: 'object', record: { ...record, versionId }, isLatest: true };
        blob = record.blob;
        this.promoteLatest(bucket, key);
      } else {
        const row = this.statements.versionById.get(bucket, key, versionId);
        if (!row) return;
        const isLatest = !current && this.statements.latestVersion.get(bucket, key)?.seq === row.seq;
        this.statements.deleteVersionRow.run(row.seq);
        removed = toVersionEntry(row, isLatest);
        blob = row.blob;
        if (isLatest) this.promoteLatest(bucket, key);
      }
      const size = removed.kind === 'object' ? removed.record.size : 0;
      const eTag = removed.kind === 'object' ? removed.record.etag : '';
      this.recordEvent(event, { bucket, key, size, deltaSize: -size, eTag });
    })();
    if (!removed) return undefined;
    this.deliverEvents(event);
    await this.unlinkBlob(bucket, blob);
    return removed;
  }

  // ---- versions (D156) ----

  /** The bucket's versioning state, read inside the write's transaction so a concurrent PutBucketVersioning cannot split it. */
  versioningOf(bucket: string): VersioningState {
    return this.getBucket(bucket)?.config.versioning;
  }

  /**
   * For the console (D162): the bucket's noncurrent versions and its delete markers. A current object is in
   * oss_objects, so every version row that is not a delete marker is a noncurrent version; a delete marker is
   * counted whether or not it is its key's current version.
   */
  versionCounts(bucket: string): { noncurrentVersions: number; deleteMarkers: number } {
    const counts = this.statements.versionCounts.get(bucket);
    return { noncurrentVersions: counts?.versions ?? 0, deleteMarkers: counts?.markers ?? 0 };
  }

  /**
   * Inside a write's transaction, before `bucket/key` gets a new current version (or a delete marker): what becomes of
   * `previous`, the current object. Returns the blobs nothing refers to any more, to unlink after the commit.
   * - never versioned: `previous` is overwritten;
   * - Enabled: `previous` is kept as a previous version;
   * - Suspended: the new version is `null`, so whatever `null` version there was (current or not) is replaced and
   *   `previous` is kept only if it has an id of its own.
   */
  private supersede(bucket: string, key: string, previous: ObjectRecord | undefined, state: VersioningState): string[] {
    if (state === undefined) return previous ? [previous.blob] : [];
    const dropped: string[] = [];
    if (state === 'Suspended') {
      const oldNull = this.statements.versionById.get(bucket, key, 'null');
      if (oldNull) {
        this.statements.deleteVersionRow.run(oldNull.seq);
        if (oldNull.blob) dropped.push(oldNull.blob);
      }
    }
    if (previous) {
      const previousId = previous.versionId ?? 'null';
      if (state === 'Suspended' && previousId === 'null') {
        dropped.push(previous.blob);
      } else {
        this.statements.insertVersion.run(
          bucket, key, previousId, 0, previous.blob, previous.size, previous.etag, previous.contentMd5 ?? null, previous.crc64,
          previous.lastModified, previous.type, JSON.stringify(headersOf(previous)),
        );
      }
    }
    return dropped.filter((blob) => blob !== '');
  }

  /** After the current version was removed: the newest version left becomes the current object, unless it is a marker. */
  private promoteLatest(bucket: string, key: string): void {
    const latest = this.statements.latestVersion.get(bucket, key);
    if (!latest || latest.delete_marker) return;
    this.statements.deleteVersionRow.run(latest.seq);
    this.statements.upsertObject.run(
      bucket, key, latest.blob, latest.size, latest.etag, latest.content_md5, latest.crc64, latest.last_modified, latest.type, latest.headers, latest.version_id,
    );
  }

  /**
   * Changes the attributes of a previous version (not the current object, not a marker) without touching its bytes,
   * as a lifecycle NoncurrentVersionTransition does; false when there is no such previous version any more.
   */
  updatePreviousVersion(bucket: string, key: string, versionId: string, change: (headers: ObjectHeaders) => ObjectHeaders): boolean {
    let updated = false;
    this.db.transaction(() => {
      const row = this.statements.versionById.get(bucket, key, versionId);
      if (!row || row.delete_marker) return;
      const headers = change(headersOf(toRecord({ ...row, version_id: row.version_id })));
      updated = this.statements.updateVersionHeaders.run(JSON.stringify(headersOf(headers)), bucket, key, versionId).changes > 0;
    })();
    return updated;
  }

  /** One version of a key, as an object (undefined for a delete marker or an id the key does not have). */
  getObjectVersion(bucket: string, key: string, versionId: string): ObjectRecord | undefined {
    const entry = this.getVersion(bucket, key, versionId);
    return entry?.kind === 'object' ? entry.record : undefined;
  }

  /** One version of a key by id (`null` names the version written while unversioned or Suspended). */
  getVersion(bucket: string, key: string, versionId: string): VersionEntry | undefined {
    const current = this.statements.object.get(bucket, key);
    if (current && (current.version_id ?? 'null') === versionId) return { kind: 'object', record: { ...toRecord(current), versionId }, isLatest: true };
    const row = this.statements.versionById.get(bucket, key, versionId);
    if (!row) return undefined;
    return toVersionEntry(row, !current && this.statements.latestVersion.get(bucket, key)?.seq === row.seq);
  }

  /** The delete marker a key's reads answer 404 with: its newest version, when there is no current object. */
  currentDeleteMarker(bucket: string, key: string): DeleteMarker | undefined {
    if (this.statements.object.get(bucket, key)) return undefined;
    const latest = this.statements.latestVersion.get(bucket, key);
    return latest?.delete_marker ? toMarker(latest) : undefined;
  }

  /** Every version of a key, newest first; the first is the latest (ListObjectVersions order). */
  versionsOf(bucket: string, key: string): VersionEntry[] {
    const entries: VersionEntry[] = [];
    const current = this.statements.object.get(bucket, key);
    if (current) {
      const record = toRecord(current);
      entries.push({ kind: 'object', record: { ...record, versionId: record.versionId ?? 'null' }, isLatest: true });
    }
    for (const row of this.statements.versionsOf.all(bucket, key)) entries.push(toVersionEntry(row, entries.length === 0));
    return entries;
  }

  /** The next key at or after `from` that has any version (a current object, a previous version or a marker). */
  nextVersionedKey(bucket: string, from: string, inclusive: boolean): string | undefined {
    const statement = inclusive ? this.statements.nextVersionedKeyInclusive : this.statements.nextVersionedKeyExclusive;
    return statement.get(bucket, from, bucket, from)?.key ?? undefined;
  }

  /** Every previous version and delete marker of a bucket (GetBucketStat), in no particular order; `isLatest` is not worked out. */
  *previousVersions(bucket: string): Generator<VersionEntry> {
    for (const row of this.statements.versionsOfBucket.iterate(bucket)) yield toVersionEntry(row, false);
  }

  /** Keys under `prefix` that have any version, in key order (lifecycle rules on versioned buckets). */
  *versionedKeysUnder(bucket: string, prefix: string): Generator<string> {
    let cursor = { key: prefix, inclusive: true };
    for (;;) {
      const key = this.nextVersionedKey(bucket, cursor.key, cursor.inclusive);
      if (key === undefined || !key.startsWith(prefix)) return;
      yield key;
      cursor = { key, inclusive: false };
    }
  }

  /**
   * Changes the attributes of an existing object (ACL, tags, restore state…) without touching its bytes or its
   * Last-Modified, as PutObjectACL / PutObjectTagging / RestoreObject do. Returns the updated record.
   */
  updateObject(bucket: string, key: string, change: (headers: ObjectHeaders) => ObjectHeaders): ObjectRecord {
    let updated: ObjectRecord | undefined;
    this.db.transaction(() => {
      const current = this.getObject(bucket, key);
      if (!current) throw ossErrors.noSuchKey(key);
      const headers = change(headersOf(current));
      this.statements.updateHeaders.run(JSON.stringify(headersOf(headers)), bucket, key);
      updated = { ...current, ...headersOf(headers) };
    })();
    return updated!;
  }

  /**
   * Changes the attributes of one version of a key (D156) — the current object when `versionId` is its own, else a
   * previous version — without touching its bytes or Last-Modified: PutObjectACL, PutObjectTagging,
   * DeleteObjectTagging and RestoreObject with `?versionId=`. Each version keeps its own ACL, tags and restore state
   * (they live in its row's `headers`, and go with the row when a newer write makes it a previous version). `change`
   * sees the version as it is inside the transaction and may refuse by throwing. Answers what the id names: the
   * updated version, a delete marker (left as it was) or undefined.
   */
  updateVersion(bucket: string, key: string, versionId: string, change: (headers: ObjectHeaders) => ObjectHeaders): VersionEntry | undefined {
    let found: VersionEntry | undefined;
    this.db.transaction(() => {
      const current = this.statements.object.get(bucket, key);
      if (current && (current.version_id ?? 'null') === versionId) {
        const record = toRecord(current);
        const headers = headersOf(change(headersOf(record)));
        this.statements.updateHeaders.run(JSON.stringify(headers), bucket, key);
        found = { kind: 'object', record: { ...record, ...headers, versionId }, isLatest: true };
        return;
      }
      const row = this.statements.versionById.get(bucket, key, versionId);
      if (!row) return;
      const entry = toVersionEntry(row, !current && this.statements.latestVersion.get(bucket, key)?.seq === row.seq);
      if (entry.kind === 'marker') {
        found = entry;
        return;
      }
      const headers = headersOf(change(headersOf(entry.record)));
      this.statements.updateVersionHeaders.run(JSON.stringify(headers), bucket, key, versionId);
      found = { ...entry, record: { ...entry.record, ...headers } };
    })();
    return found;
  }

  /** PutSymlink: a record with no body whose `symlinkTarget` names another key of the bucket. */
  async putSymlink(bucket: string, key: string, headers: ObjectHeaders, options: { forbidOverwrite?: boolean; event?: EventStamp } = {}): Promise<{ record: ObjectRecord; previous: ObjectRecord | undefined }> {
    const etag = createHash('md5').update(headers.symlinkTarget ?? '').digest('hex').toUpperCase();
    const record: ObjectRecord = { ...headers, bucket, key, blob: '', size: 0, etag, crc64: '0', lastModified: this.clock(), type: 'Symlink' };
    let previous: ObjectRecord | undefined;
    let dropped: string[] = [];
    this.db.transaction(() => {
      previous = this.getObject(bucket, key);
      const state = this.versioningOf(bucket);
      if (previous && options.forbidOverwrite && state === undefined) throw ossErrors.fileAlreadyExists();
      record.versionId = newVersionIdFor(state);
      dropped = this.supersede(bucket, key, previous, state);
      this.statements.upsertObject.run(bucket, key, '', 0, etag, null, '0', record.lastModified, 'Symlink', JSON.stringify(headersOf(record)), record.versionId ?? null);
      this.recordEvent(options.event, written(record, previous, previous !== undefined && dropped.includes(previous.blob)));
    })();
    this.deliverEvents(options.event);
    await this.unlinkBlobs(bucket, dropped);
    return { record, previous };
  }

  /**
   * AppendObject: adds `staged` at `position`, which must be the object's current length (0 creates it). The
   * blob is extended in place and flushed before the row records the new length, so a crash in between leaves
   * bytes past the recorded size, which readers never see and the next append overwrites. Appends to one key
   * are serialised.
   */
  async appendObject(
    bucket: string,
    key: string,
    position: number,
    staged: StagedBody,
    headers: ObjectHeaders,
    event?: EventStamp,
  ): Promise<{ record: ObjectRecord; previous: ObjectRecord | undefined }> {
    return this.serialised(`${bucket}\n${key}`, async () => {
      try {
        const previous = this.getObject(bucket, key);
        if (previous && previous.type !== 'Appendable') throw ossErrors.objectNotAppendable();
        const length = previous?.size ?? 0;
        if (position !== length) throw ossErrors.positionNotEqualToLength(length);
        const blob = previous?.blob ?? newBlobId();
        const path = this.blobPath(bucket, blob);
        await mkdir(dirname(path), { recursive: true });
        const crc = previous ? Crc64.resume(previous.crc64) : new Crc64();
        const out = await open(path, previous ? 'r+' : 'w');
        try {
          await out.truncate(length);
          let at = length;
          for await (const chunk of createReadStream(staged.path) as AsyncIterable<Buffer>) {
            crc.update(chunk);
            await out.write(chunk, 0, chunk.length, at);
            at += chunk.length;
          }
          await out.sync();
        } finally {
          await out.close();
        }
        const size = length + staged.size;
        const crc64 = crc.digest();
        // OSS does not document how an Appendable object's ETag is formed; this one changes with every append.
        const etag = createHash('md5').update(`${crc64}:${size}`).digest('hex').toUpperCase();
        const record: ObjectRecord = {
          ...(previous ? headersOf(previous) : headers),
          bucket, key, blob, size, etag, crc64, lastModified: this.clock(), type: 'Appendable', versionId: previous?.versionId,
        };
        let dropped: string[] = [];
        this.db.transaction(() => {
          // OSS: appending keeps the version it appends to; only the first append (position 0) makes a new version.
          if (!previous) {
            const state = this.versioningOf(bucket);
            record.versionId = newVersionIdFor(state);
            dropped = this.supersede(bucket, key, undefined, state);
          }
          this.statements.upsertObject.run(bucket, key, blob, size, etag, null, crc64, record.lastModified, 'Appendable', JSON.stringify(headersOf(record)), record.versionId ?? null);
          this.recordEvent(event, written(record, previous));
        })();
        this.deliverEvents(event);
        await this.unlinkBlobs(bucket, dropped);
        return { record, previous };
      } finally {
        await discardBody(staged);
      }
    });
  }

  private readonly queues = new Map<string, Promise<unknown>>();

  private async serialised<T>(name: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(name) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.catch(() => undefined);
    this.queues.set(name, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(name) === tail) this.queues.delete(name);
    }
  }

  /** Objects of a bucket under `prefix`, in key order, for lifecycle rules. */
  *objectsUnder(bucket: string, prefix: string): Generator<ObjectRecord> {
    let cursor: { key: string; inclusive: boolean } = { key: prefix, inclusive: true };
    for (;;) {
      const record = this.nextObject(bucket, cursor.key, cursor.inclusive);
      if (!record || !record.key.startsWith(prefix)) return;
      yield record;
      cursor = { key: record.key, inclusive: false };
    }
  }

  // ---- multipart ----

  /** Unfinished multipart uploads of a bucket, by key then initiation time (ListMultipartUploads order). */
  listUploads(bucket: string): UploadRecord[] {
    return this.statements.uploadsOf.all(bucket).map(toUpload);
  }

  createUpload(bucket: string, key: string, headers: ObjectHeaders, event?: EventStamp): UploadRecord {
    const upload: UploadRecord = { ...headers, uploadId: randomBytes(16).toString('hex').toUpperCase(), bucket, key, initiated: this.clock() };
    this.db.transaction(() => {
      this.statements.insertUpload.run(upload.uploadId, bucket, key, upload.initiated, JSON.stringify(headers));
      this.recordEvent(event, { bucket, key, size: 0, deltaSize: 0, eTag: '' });
    })();
    this.deliverEvents(event);
    return upload;
  }

  getUpload(uploadId: string): UploadRecord | undefined {
    const row = this.statements.upload.get(uploadId);
    return row && toUpload(row);
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

  async putPart(uploadId: string, partNumber: number, staged: StagedBody, event?: EventStamp): Promise<PartRecord> {
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
      const upload = this.statements.upload.get(uploadId);
      if (!upload) {
        aborted = true;
        return;
      }
      replaced = this.statements.part.get(uploadId, partNumber)?.file;
      this.statements.upsertPart.run(uploadId, partNumber, part.etag, part.size, part.file, part.lastModified);
      this.recordEvent(event, { bucket: upload.bucket, key: upload.key, size: part.size, deltaSize: 0, eTag: part.etag });
    })();
    if (aborted) {
      await unlink(join(dir, part.file)).catch(() => undefined);
      throw ossErrors.noSuchUpload(uploadId);
    }
    this.deliverEvents(event);
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
    options: { forbidOverwrite?: boolean; event?: EventStamp } = {},
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
        event: options.event,
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

  async abortUpload(uploadId: string, event?: EventStamp): Promise<void> {
    this.db.transaction(() => {
      const upload = this.statements.upload.get(uploadId);
      this.statements.deleteParts.run(uploadId);
      this.statements.deleteUpload.run(uploadId);
      if (upload) this.recordEvent(event, { bucket: upload.bucket, key: upload.key, size: 0, deltaSize: 0, eTag: '' });
    })();
    this.deliverEvents(event);
    await rm(join(this.multipartDir, uploadId), { recursive: true, force: true });
  }

  // ---- events (D151) ----

  /** Inside a write's transaction: its event is committed with it (or not at all). */
  private recordEvent(event: EventStamp | undefined, object: EventObject): void {
    if (event && this.outbox) this.outbox.record(event, object);
  }

  /** Right after a write's commit: its event (and any an earlier start or crash left) goes to the subscriber. */
  private deliverEvents(event: EventStamp | undefined): void {
    if (event) this.outbox?.deliver();
  }

  // ---- files ----

  blobPath(bucket: string, blob: string): string {
    return join(this.root, bucket, blob.slice(0, 2), blob);
  }

  private async unlinkBlob(bucket: string, blob: string): Promise<void> {
    if (blob === '') return; // symlinks have no body
    await unlink(this.blobPath(bucket, blob)).catch(() => undefined);
  }

  private async unlinkBlobs(bucket: string, blobs: string[]): Promise<void> {
    for (const blob of blobs) await this.unlinkBlob(bucket, blob);
  }

  private collectOrphanBlobs(bucket: string): void {
    const referenced = new Set([...this.statements.blobs.all(bucket), ...this.statements.versionBlobs.all(bucket)].map((row) => row.blob));
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

/**
 * The event fields of an object written over `previous`: its size and what it added to the bucket (`previous` still
 * counts when a versioned bucket kept it as a previous version: `replaced` false).
 */
function written(record: ObjectRecord, previous: ObjectRecord | undefined, replaced = true): EventObject {
  return { bucket: record.bucket, key: record.key, size: record.size, deltaSize: record.size - (replaced ? (previous?.size ?? 0) : 0), eTag: record.etag };
}

/**
 * A version id for a write in a bucket in this state: undefined while versioning was never enabled, `null` while
 * Suspended, else a new one. OSS's ids are opaque base64-like strings starting `CAEQ`; these have the same look
 * (letters and digits only, so they need no escaping in URLs or XML) and nothing else in common.
 */
function newVersionIdFor(state: VersioningState): string | undefined {
  if (state === undefined) return undefined;
  if (state === 'Suspended') return 'null';
  return `CAEQ${randomBytes(30).toString('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 36)}${randomBytes(6).toString('hex')}`;
}

function toMarker(row: VersionRow): DeleteMarker {
  return { bucket: row.bucket, key: row.key, versionId: row.version_id, lastModified: row.last_modified };
}

function toVersionEntry(row: VersionRow, isLatest: boolean): VersionEntry {
  if (row.delete_marker) return { kind: 'marker', marker: toMarker(row), isLatest };
  const record = toRecord({ ...row, version_id: row.version_id });
  return { kind: 'object', record: { ...record, versionId: row.version_id }, isLatest };
}

function toUpload(row: UploadRow): UploadRecord {
  return { ...(JSON.parse(row.headers) as ObjectHeaders), uploadId: row.upload_id, bucket: row.bucket, key: row.key, initiated: row.initiated };
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

/** The part of a record that lives in the `headers` JSON column: HTTP headers and object attributes. */
export function headersOf(record: ObjectHeaders): ObjectHeaders {
  const { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires, meta } = record;
  const { storageClass, acl, tags, encryption, symlinkTarget, restore } = record;
  return { contentType, cacheControl, contentDisposition, contentEncoding, contentLanguage, expires, meta, storageClass, acl, tags, encryption, symlinkTarget, restore };
}

function toBucket(row: BucketRow): BucketRecord {
  return { name: row.name, createdAt: row.created_at, config: JSON.parse(row.config) as BucketConfig };
}

const OBJECT_TYPES: readonly ObjectType[] = ['Normal', 'Multipart', 'Appendable', 'Symlink'];

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
    type: OBJECT_TYPES.includes(row.type as ObjectType) ? (row.type as ObjectType) : 'Normal',
    versionId: row.version_id ?? undefined,
  };
}
