/**
 * Local OSS emulator: a wire-compatible subset of the OSS REST API, enough for ali-oss (signature V4) and for
 * browsers using V4 presigned URLs, with objects on disk, metadata in SQLite and event notifications for the
 * local OSS triggers.
 *
 * LIMITATIONS (what is not emulated; requests that need it fail loudly with 501 NotImplemented or 403):
 * - Signature V1 (`Authorization: OSS ak:sig`, `OSSAccessKeyId/Expires/Signature` URLs) and the V2 URL scheme are
 *   rejected with AccessDenied naming V4 as the only emulated version. Anonymous access is always AccessDenied:
 *   there are no public-read buckets, ACLs or bucket policies. RAM/STS policies are not evaluated: a valid
 *   signature by the local account may do anything.
 * - PostObject (HTML form upload with a POST policy), AppendObject, symlinks, tagging, ACLs, object versioning,
 *   RestoreObject, UploadPartCopy, ListMultipartUploads, upload callbacks (x-oss-callback), image/async processing
 *   (x-oss-process), and all bucket configuration APIs (PutBucket/DeleteBucket, CORS/lifecycle/website/referer/
 *   logging/policy/encryption/inventory/replication/WORM). Buckets are created from configuration only.
 * - CORS is one fixed rule per emulator (configured origins, GET/PUT/POST/DELETE/HEAD, any header), not per-bucket
 *   rules.
 * - Storage class, server-side encryption, `x-oss-object-acl`, `x-oss-tagging` and `x-oss-storage-class` request
 *   headers are accepted and ignored; every object reports `Standard`.
 * - Content-Type is not guessed from the key's extension when a PUT omits it (OSS does): it defaults to
 *   application/octet-stream. ali-oss always sends one.
 * - Multipart ETags use the S3 formula (MD5 of the part MD5s + `-<count>`); OSS's exact formula is not documented.
 *   CopyObject keeps the source's ETag and object type. Object size is capped by `maxObjectBytes` (default
 *   100 MB) for PutObject and each UploadPart, not by OSS's 5 GB.
 * - `x-oss-content-sha256` payload hashes other than UNSIGNED-PAYLOAD are verified, with error code InvalidDigest
 *   (the OSS code for this case is not documented).
 * - Keys are stored verbatim, including `..` segments (OSS keys are opaque strings); bodies live under random blob
 *   names, so no key can address a path. Object names are not URL-encoded in event notifications.
 * - Event notifications are delivered synchronously, in-process, once (OSS is at-least-once and asynchronous);
 *   DeleteObject on a missing key sends no event.
 * - Durability: bodies are fsynced before their metadata row is committed; directory entries are not fsynced, so a
 *   power loss (not a process kill) may lose the last writes.
 * - V4 canonicalisation details OSS does not document are resolved leniently or by assumption: a query parameter
 *   with an empty value verifies in both the bare `k` and the `k=` form; the canonical query is sorted by byte
 *   order of the encoded names (ali-oss uses localeCompare; identical for OSS's lower-case parameter names); a
 *   presigned `x-oss-date` more than 15 minutes in the future is AccessDenied. Error codes whose exact string OSS
 *   does not document: InvalidSecurityToken (wrong STS token), InvalidArgument for a wrong signing region/date.
 * - CORS preflights are answered without authentication, like OSS; conditional headers (If-Match, If-None-Match,
 *   If-(Un)Modified-Since and the x-oss-copy-source-if-* variants) and response-* overrides are supported.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, secretFor } from '../../credentials';
import type { EmulatorRuntime, RequestContext } from './context';
import type { CorsOrigins } from './cors';
import type { OssEventName, OssNotification } from './events';
import { listPage } from './listing';
import { createRequestHandler } from './server';
import type { CredentialLookup } from './signature';
import { OssStorage, type ObjectType } from './storage';

export { buildOssEvent, buildOssEventRecord, matchesOssTrigger } from './events';
export type { OssEvent, OssEventName, OssEventRecord, OssNotification, OssTriggerFilter } from './events';
export type { AccountCredential, CredentialLookup } from './signature';

/** Default cap on a single PutObject or UploadPart body. */
export const DEFAULT_MAX_OBJECT_BYTES = 100 * 1024 * 1024;

export interface OssEmulatorOptions {
  /** Objects go under `<dataDir>/oss/`. */
  dataDir: string;
  /** Shared SQLite database; the emulator creates and uses tables prefixed `oss_`. */
  db: BetterSqlite3.Database;
  /** Interface to listen on (default 127.0.0.1: local only). */
  host?: string;
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** Region the buckets live in, e.g. `cn-hangzhou`; V4 credential scopes must name it. */
  region: string;
  /** Buckets created at start (existing ones are kept). */
  buckets: string[];
  /** Origins allowed by the CORS rule, or `'*'`. */
  corsOrigins: CorsOrigins;
  /** Called synchronously after every successful write or delete, before the response is sent. */
  onEvent?: (n: OssNotification) => void;
  /** Epoch-ms clock for Last-Modified, signature expiry and skew checks (tests inject one). */
  clock?: () => number;
  /** Largest accepted PutObject/UploadPart body (default 100 MB) → EntityTooLarge. */
  maxObjectBytes?: number;
  /** Owner id in listings (default the local account). */
  accountId?: string;
  /** Access key resolution (default: the local account of `scripts/local/credentials.ts`). */
  credentials?: CredentialLookup;
}

/** Console view of a bucket. */
export interface BucketSummary {
  name: string;
  createdAt: Date;
}

/** Console view of an object. */
export interface ObjectSummary {
  key: string;
  size: number;
  etag: string;
  contentType: string;
  lastModified: Date;
  type: ObjectType;
  meta: Record<string, string>;
}

export interface OssEmulator {
  /** `http://localhost:<port>`: give it to ali-oss with `sldEnable: true` (path-style). */
  endpoint: string;
  port: number;
  close(): Promise<void>;
  createBucket(name: string): Promise<void>;
  /** Inspection for the console; reads only. */
  listBuckets(): BucketSummary[];
  /** Inspection for the console; reads only. Objects under `prefix` in key order, at most `limit`. */
  listObjects(bucket: string, prefix?: string, limit?: number): ObjectSummary[];
}

/** The local account: its STS-style key must come with its security token, like FC's role credentials. */
export const localCredentialLookup: CredentialLookup = (accessKeyId) => {
  const secret = secretFor(accessKeyId);
  if (secret === undefined) return undefined;
  return { accessKeySecret: secret, securityToken: accessKeyId === LOCAL_CREDENTIALS.accessKeyId ? LOCAL_CREDENTIALS.securityToken : undefined };
};

/**
 * Starts the emulator.
 * @example
 * const oss = await startOssEmulator({ dataDir: '.data', db, region: 'cn-hangzhou', buckets: ['imgs'], corsOrigins: ['http://127.0.0.1:9000'] });
 * const client = new OSS({ endpoint: oss.endpoint, sldEnable: true, authorizationV4: true, region: 'oss-cn-hangzhou', bucket: 'imgs', ... });
 */
export async function startOssEmulator(options: OssEmulatorOptions): Promise<OssEmulator> {
  const clock = options.clock ?? Date.now;
  const root = join(options.dataDir, 'oss');
  mkdirSync(root, { recursive: true });
  const storage = new OssStorage(root, options.db, clock);
  await storage.init();
  for (const bucket of options.buckets) await storage.createBucket(bucket);

  let endpoint = '';
  const onEvent = options.onEvent;
  const runtime: EmulatorRuntime = {
    storage,
    region: options.region,
    accountId: options.accountId ?? LOCAL_ACCOUNT_ID,
    maxObjectBytes: options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES,
    corsOrigins: options.corsOrigins,
    endpoint: () => endpoint,
    notify: (ctx: RequestContext, event: { eventName: OssEventName; bucket: string; key: string; size: number; deltaSize: number; eTag: string }) => {
      if (!onEvent) return;
      const notification: OssNotification = { ...event, sourceIp: ctx.sourceIp, requestId: ctx.requestId, time: new Date(clock()).toISOString() };
      try {
        onEvent(notification);
      } catch (err) {
        // A failing subscriber must not turn a stored object into a failed upload.
        process.emitWarning(`OSS emulator onEvent threw: ${String(err)}`);
      }
    },
  };

  const server = createServer(
    createRequestHandler({
      runtime,
      clock,
      lookup: options.credentials ?? localCredentialLookup,
      onInternalError: (err) => process.emitWarning(`OSS emulator internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://localhost:${port}`;

  return {
    endpoint,
    port,
    createBucket: (name) => storage.createBucket(name),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
    listBuckets: () => storage.listBuckets().map((bucket) => ({ name: bucket.name, createdAt: new Date(bucket.createdAt) })),
    listObjects: (bucket, prefix = '', limit = 1000) =>
      listPage((from, inclusive) => storage.nextObject(bucket, from, inclusive), { prefix, delimiter: '', maxKeys: limit }).objects.map((record) => ({
        key: record.key,
        size: record.size,
        etag: record.etag,
        contentType: record.contentType,
        lastModified: new Date(record.lastModified),
        type: record.type,
        meta: record.meta,
      })),
  };
}
