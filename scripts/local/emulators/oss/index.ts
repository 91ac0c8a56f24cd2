/**
 * Local OSS emulator: the OSS REST API as `ali-oss` (default V1 signatures, or V4), browsers (presigned URLs,
 * PostObject forms), curl and users' own scripts reach it, with objects on disk, metadata in SQLite
 * (`<dataDir>/oss.sqlite`, WAL) and event notifications for the local OSS triggers. docs/fidelity.md (section
 * OSS) lists every operation as emulated, partly emulated or refused.
 *
 * LIMITATIONS (what differs from OSS; everything not emulated is refused by name, never answered wrongly):
 * - One account: any request correctly signed by the local account's key may do anything a bucket policy does
 *   not deny (bucket-policy.ts: Effect, Action, Resource and Principal applied; conditions refused); a function's
 *   role session is held to its RAM policies too. Anonymous requests are decided by bucket and object ACLs and by
 *   a bucket policy's Allow and Deny.
 * - Object versions (D156) are kept for buckets with versioning Enabled or Suspended (storage.ts, version-ops.ts);
 *   `versionId` is honoured by GetObject, HeadObject, GetObjectMeta, DeleteObject and copy sources, and refused by name
 *   everywhere else.
 * - Not emulated (501 NotImplemented naming the sub-resource): logging, inventory, WORM, replication, transfer acceleration, request payment,
 *   access points, styles, LiveChannel, async fetch and processing, upload callbacks, metadata indexing, and
 *   every other sub-resource in `routes.ts` NOT_EMULATED_SUBRESOURCES. Signature V2 URLs are refused too.
 * - Image processing (`x-oss-process=image/…`) covers resize, format (jpg/png/webp), quality, auto-orient,
 *   quarter-turn rotate, a leading crop and info through the project's image engine, on GET and saved by ProcessObject (POST, `sys/saveas`); other
 *   actions are refused by name. The relative `q_` quality is applied as an absolute one; output bytes are the
 *   engine's, not OSS's.
 * - Static website hosting answers anonymous GETs with the index and error documents (SupportSubDir and Type
 *   applied, each document under the bucket policy and ACL: website.ts); routing rules are refused by name. Referer rules apply to anonymous and presigned requests.
 * - Server-side encryption and storage classes are stored and echoed; bytes are not encrypted, and Archive
 *   classes only change readability (RestoreObject completes after OSS's nominal minimum on the emulator clock).
 * - Lifecycle rules run on the emulator clock in sweeps (every `lifecycleIntervalMs` and on `runLifecycle()`),
 *   acting as soon as a rule is due (OSS acts within a day or two); they send no event notification.
 * - A write without Content-Type gets one from the key's extension out of a table of common types (mime.ts);
 *   OSS's own table is larger.
 * - Multipart ETags use the S3 formula (MD5 of the part MD5s + `-<count>`); Appendable ETags derive from the
 *   CRC-64; OSS documents neither. Object size is capped by `maxObjectBytes` (default 100 MB per PutObject,
 *   UploadPart, AppendObject or PostObject body) instead of 5 GB.
 * - Keys are stored verbatim, including `..` segments; bodies live under random blob names, so no key can address
 *   a path. Event notifications are recorded with their write (an outbox in oss.sqlite, D151) and handed over
 *   synchronously, in-process, before the response; again after a crash that came before they were cleared
 *   (with the same event id). OSS: asynchronous, at-least-once.
 * - Durability: bodies are fsynced before their metadata row is committed; directory entries are not fsynced, so a
 *   power loss (not a process kill) may lose the last writes.
 * - V4 canonicalisation details OSS does not document are resolved leniently or by assumption: a query parameter
 *   with an empty value verifies in both the bare `k` and the `k=` form; the canonical query is sorted by byte
 *   order; a presigned `x-oss-date` more than 15 minutes in the future is AccessDenied. V1's signed sub-resource
 *   list is the union of the lists the OSS SDKs sign.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import type { ImageEngine } from '../../../../functions/_shared/ports/image-engine';
import { LOCAL_ACCOUNT_ID, secretFor, securityTokenFor } from '../../credentials';
import { AccessControl, type AccessSettings } from '../../ram/access';
import type { EmulatorRuntime } from './context';
import type { CorsConfig, CorsRule } from './bucket-config';
import { declaredCorsConfig, type CorsOrigins } from './cors';
import { OssEventOutbox, type OssEventSubscriber } from './event-outbox';
import { runLifecycle, type LifecycleReport } from './lifecycle';
import { listPage } from './listing';
import { createClientErrorHandler, createRequestHandler, type OssLogger } from './server';
import type { CredentialLookup } from './signature';
import { OssStorage, type ObjectType, type StorageClass } from './storage';
import { keepIdleConnections } from '../../keep-alive';
import { stderrAbortLog } from '../http-edge';

export { buildOssEvent, buildOssEventRecord, matchesOssTrigger } from './events';
export { OssEventsNotReady, type OssEventSubscriber } from './event-outbox';
export type { OssEvent, OssEventName, OssEventRecord, OssNotification, OssTriggerFilter } from './events';
export type { AccountCredential, CredentialLookup } from './signature';
export type { LifecycleReport } from './lifecycle';
export type { OssLogger } from './server';

/** Default cap on a single PutObject, UploadPart, AppendObject or PostObject body. */
export const DEFAULT_MAX_OBJECT_BYTES = 100 * 1024 * 1024;

export interface OssEmulatorOptions {
  /** Objects go under `<dataDir>/oss/`, metadata into `<dataDir>/oss.sqlite` (unless `db` is given). */
  dataDir: string;
  /** A database to keep the `oss_*` tables in instead of the emulator's own file (tests). */
  db?: BetterSqlite3.Database;
  /** Interface to listen on (default 127.0.0.1: local only). */
  host?: string;
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** Region the buckets live in, e.g. `cn-hangzhou`; V4 credential scopes must name it. */
  region: string;
  /** Buckets declared in configuration (the ROS template), created at start (existing ones are kept). */
  buckets: string[];
  /** Origins of the CORS rule the declared buckets get at every start, or `'*'`. */
  corsOrigins: CorsOrigins;
  /**
   * The CORS rules a declared bucket's template gives it (ROS `CORSConfiguration`), set at every start as a deploy
   * sets them — an empty list: no CORS configuration. A declared bucket not named here gets one rule for
   * `corsOrigins` (every method, any header).
   */
  bucketCors?: Record<string, CorsRule[]>;
  /**
   * Called synchronously after every successful write or delete, before the response is sent; the event was
   * committed with the write, and one a crash kept from being handed over (or cleared) comes again, with the
   * same `eventId`, at `deliverEvents()` (called at start too). Throw `OssEventsNotReady` to keep events for later.
   */
  onEvent?: OssEventSubscriber;
  /** Epoch-ms clock for Last-Modified, signature expiry, restores and lifecycle rules (tests inject one). */
  clock?: () => number;
  /** Largest accepted body of one write (default 100 MB) → EntityTooLarge. */
  maxObjectBytes?: number;
  /** Owner id in listings (default the local account). */
  accountId?: string;
  /** Access key resolution (default: the local account of `scripts/local/credentials.ts`). */
  credentials?: CredentialLookup;
  /** RAM roles whose keys are held to their policies (D144); absent: every verified key may do anything. */
  access?: AccessSettings;
  /** Image engine for `x-oss-process` (default `imageEngineFromEnv()`, loaded on first use). */
  imageEngine?: () => Promise<ImageEngine>;
  /** Where aborts and internal errors are reported (default: JSON lines on stderr). */
  logger?: OssLogger;
  /** How often lifecycle rules are swept on the emulator clock (default 60 s; 0 disables the timer). */
  lifecycleIntervalMs?: number;
}

/** Console view of a bucket. */
export interface BucketSummary {
  name: string;
  createdAt: Date;
}

/** Console view of a versioned bucket (D156): its status and what its previous versions hold. */
export interface BucketVersioning {
  status: 'Enabled' | 'Suspended';
  noncurrentVersions: number;
  deleteMarkers: number;
}

/** Console view of an object. */
export interface ObjectSummary {
  key: string;
  size: number;
  etag: string;
  contentType: string;
  lastModified: Date;
  type: ObjectType;
  storageClass: StorageClass;
  meta: Record<string, string>;
}

export interface OssEmulator {
  /** `http://localhost:<port>`: give it to ali-oss with `sldEnable: true` (path-style). */
  endpoint: string;
  port: number;
  close(): Promise<void>;
  /** Hands `onEvent` the events still in the outbox: a subscriber that was not ready, or a crash, left them (D151). */
  deliverEvents(): void;
  createBucket(name: string): Promise<void>;
  /** Applies the lifecycle rules that are due on the emulator clock now (the timer does the same). */
  runLifecycle(): Promise<LifecycleReport>;
  /** Inspection for the console; reads only. */
  listBuckets(): BucketSummary[];
  /** Inspection for the console; reads only. The bucket's versioning status (null: never enabled) and counts (D156). */
  bucketVersioning(bucket: string): BucketVersioning | null;
  /** Inspection for the console; reads only. Objects under `prefix` in key order, at most `limit`. */
  listObjects(bucket: string, prefix?: string, limit?: number): ObjectSummary[];
}

/** The local account: its STS-style key must come with its security token, like FC's role credentials. */
export const localCredentialLookup: CredentialLookup = (accessKeyId) => {
  const secret = secretFor(accessKeyId);
  if (secret === undefined) return undefined;
  return { accessKeySecret: secret, securityToken: securityTokenFor(accessKeyId) };
};

/** JSON lines on stderr, in the fields the local cloud's other logs use. */
export const stderrOssLogger: OssLogger = {
  aborted: stderrAbortLog('oss'),
  internalError: (err, info) =>
    process.stderr.write(`${JSON.stringify({ level: 'error', time: Date.now(), service: 'oss', msg: 'internal error', ...info, err: err instanceof Error ? (err.stack ?? err.message) : String(err) })}\n`),
};

/**
 * Starts the emulator.
 * @example
 * const oss = await startOssEmulator({ dataDir: '.data', region: 'cn-hangzhou', buckets: ['imgs'], corsOrigins: ['http://127.0.0.1:9000'] });
 * const client = new OSS({ endpoint: oss.endpoint, sldEnable: true, region: 'oss-cn-hangzhou', bucket: 'imgs', ... });
 */
export async function startOssEmulator(options: OssEmulatorOptions): Promise<OssEmulator> {
  const clock = options.clock ?? Date.now;
  const root = join(options.dataDir, 'oss');
  mkdirSync(root, { recursive: true });
  const ownFile = join(options.dataDir, 'oss.sqlite');
  const fresh = !options.db && !existsSync(ownFile);
  const ownDb = options.db ? undefined : openOwnDb(options.dataDir);
  const db = options.db ?? ownDb!;
  // Without a subscriber no event is recorded: nothing would ever clear it.
  const outbox = options.onEvent ? new OssEventOutbox(db, clock, options.onEvent, (message) => process.emitWarning(message)) : undefined;
  const storage = new OssStorage(root, db, clock, outbox);
  const legacy = join(options.dataDir, 'cloud.sqlite');
  if (fresh && existsSync(legacy)) storage.importFrom(legacy);
  await storage.init();
  const declaredCors = declaredCorsConfig(options.corsOrigins);
  for (const bucket of options.buckets) {
    await storage.createBucket(bucket);
    // Like a ROS deploy, the template's CORS rules are what a declared bucket has after every start.
    const rules = options.bucketCors?.[bucket];
    const cors: CorsConfig | undefined = rules === undefined ? declaredCors : rules.length > 0 ? { rules, responseVary: false } : undefined;
    storage.setBucketConfig(bucket, 'cors', cors);
  }

  // Events a crash left in the outbox, before any new request.
  outbox?.deliver();

  let endpoint = '';
  const runtime: EmulatorRuntime = {
    storage,
    region: options.region,
    accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
    maxObjectBytes: options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
    endpoint: () => endpoint,
  };

  let engine: Promise<ImageEngine> | undefined;
  // Imported on first use too: the engines (sharp's loader, jimp and its plugins, the WebP codec) are most of
  // the local cloud's start script, and evaluating them cost every `npm start` (D32).
  const loadEngine = options.imageEngine ?? (async () => (await import('../../../../functions/_shared/images/engine')).imageEngineFromEnv());
  const logger = options.logger ?? stderrOssLogger;
  const server = createServer(
    createRequestHandler({
      runtime,
      clock,
      lookup: options.credentials ?? localCredentialLookup,
      ...(options.access ? { access: new AccessControl(options.access) } : {}),
      logger,
      imageEngine: () => (engine ??= loadEngine()),
    }),
  );
  keepIdleConnections(server);
  server.on('clientError', createClientErrorHandler({ logger, clock }));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://localhost:${port}`;

  let sweeping: Promise<LifecycleReport> | undefined;
  const sweep = () => (sweeping ??= runLifecycle(storage, clock()).finally(() => (sweeping = undefined)));
  const interval = options.lifecycleIntervalMs ?? 60_000;
  const timer = interval > 0 ? setInterval(() => void sweep().catch((err: unknown) => logger.internalError(err, { requestId: 'lifecycle', method: '', url: '' })), interval) : undefined;
  timer?.unref();

  return {
    endpoint,
    port,
    deliverEvents: () => outbox?.deliver(),
    createBucket: async (name) => {
      await storage.createBucket(name);
    },
    runLifecycle: async () => {
      await sweeping?.catch(() => undefined);
      return sweep();
    },
    close: async () => {
      if (timer) clearInterval(timer);
      await sweeping?.catch(() => undefined);
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      ownDb?.close();
    },
    listBuckets: () => storage.listBuckets().map((bucket) => ({ name: bucket.name, createdAt: new Date(bucket.createdAt) })),
    bucketVersioning: (bucket) => {
      const status = storage.versioningOf(bucket);
      return status ? { status, ...storage.versionCounts(bucket) } : null;
    },
    listObjects: (bucket, prefix = '', limit = 1000) =>
      listPage((from, inclusive) => storage.nextObject(bucket, from, inclusive), { prefix, delimiter: '', maxKeys: limit }).objects.map((record) => ({
        key: record.key,
        size: record.size,
        etag: record.etag,
        contentType: record.contentType,
        lastModified: new Date(record.lastModified),
        type: record.type,
        storageClass: record.storageClass ?? 'Standard',
        meta: readableMeta(record.meta),
      })),
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * User metadata as text for the console: values are kept as the bytes clients sent (one char per byte); UTF-8 bytes
 * read as the text they encode, anything else (a Latin-1 client's bytes) is shown as it is.
 */
function readableMeta(meta: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(meta)) {
    try {
      out[name] = strictUtf8.decode(Buffer.from(value, 'latin1'));
    } catch {
      out[name] = value;
    }
  }
  return out;
}

/** `<dataDir>/oss.sqlite` in WAL mode: a killed process loses no committed row. */
function openOwnDb(dataDir: string): BetterSqlite3.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'oss.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  return db;
}
