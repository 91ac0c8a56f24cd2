import OSS from 'ali-oss';
import { AppError, NotFoundError, RetryableError, ValidationError } from '../errors';
import type { ListPage, ObjectInfo, ObjectStore, PutOptions, SignedUrl } from '../ports/object-store';
import type { Credentials } from './credentials';

/**
 * ObjectStore over ali-oss 6.23 with signature V4 (`authorizationV4: true`; V1 is closed to new accounts and
 * buckets since 2025, https://www.alibabacloud.com/help/en/oss/developer-reference/guidelines-for-upgrading-v1-signatures-to-v4-signatures).
 * In FC it talks to the regional endpoint; locally `OSS_ENDPOINT` points it at the OSS emulator, path-style.
 */
export interface OssObjectStoreOptions {
  bucket: string;
  /** Region id, e.g. `cn-hangzhou` (an `oss-` prefix is accepted too). */
  region: string;
  /**
   * `OSS_ENDPOINT`, e.g. `http://localhost:9100`. Non-Alibaba hosts are addressed path-style (`sldEnable`),
   * `*.aliyuncs.com` hosts virtual-hosted as OSS requires; `secure` follows the scheme.
   */
  endpoint?: string;
  /** Use the region's internal endpoint (same-region traffic from FC is free). Signed URLs stay public. */
  internal?: boolean;
  credentials: Credentials;
  /** Per-request timeout (ali-oss default 60 s). */
  timeoutMs?: number;
  /**
   * Signature version for requests and signed URLs (default 4). Version 1 is what ali-oss does by default and what
   * buckets created before OSS closed V1 (2025) still accept.
   */
  signatureVersion?: 1 | 4;
}

/** ali-oss reads `sldEnable` but @types/ali-oss 6.23 does not declare it. */
type ClientOptions = OSS.Options & { sldEnable?: boolean };

type Headers = Record<string, string | string[] | undefined>;

/** Presigned URLs live 1 s to 7 days (OSS V4 limit). */
const MAX_SIGNED_URL_SECONDS = 604800;
/** DeleteMultipleObjects takes at most 1000 keys per request. */
const DELETE_BATCH = 1000;

/**
 * @example
 * const store = new OssObjectStore({ bucket: 'imgs', region: 'cn-hangzhou', credentials });
 * await store.put('uploads/a.png', bytes, { contentType: 'image/png', meta: { imageid: 'img_1' } });
 * const { url, headers } = await store.signUrl('PUT', 'uploads/b.png', { expiresInSeconds: 900, contentType: 'image/png' });
 */
export class OssObjectStore implements ObjectStore {
  private readonly client: OSS;
  private signer: OSS | undefined;

  constructor(private readonly options: OssObjectStoreOptions) {
    this.client = new OSS(clientOptions(options, options.internal ?? false));
  }

  async put(key: string, body: Buffer, options: PutOptions = {}): Promise<{ etag: string }> {
    const headers: Record<string, string> = {};
    if (options.cacheControl) headers['Cache-Control'] = options.cacheControl;
    try {
      const result = await this.client.put(key, body, {
        ...(options.contentType ? { mime: options.contentType } : {}),
        // @types/ali-oss declares UserMeta with required uid/pid (an example leaked into the type).
        ...(options.meta ? { meta: options.meta as unknown as OSS.UserMeta } : {}),
        headers,
      });
      return { etag: normalizeEtag(headerText(result.res.headers as Headers, 'etag') ?? '') };
    } catch (err) {
      throw mapError(err);
    }
  }

  async get(key: string, options: { range?: { start: number; end: number } } = {}): Promise<{ body: Buffer; info: ObjectInfo } | undefined> {
    const headers: Record<string, string> = {};
    if (options.range) {
      const { start, end } = options.range;
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start) {
        throw new ValidationError(`invalid byte range ${start}-${end}`);
      }
      headers.Range = `bytes=${start}-${end}`;
      // Without it OSS ignores an out-of-range Range and sends the whole object with 200.
      headers['x-oss-range-behavior'] = 'standard';
    }
    try {
      const result = await this.client.get(key, undefined, { headers });
      const body = Buffer.isBuffer(result.content) ? result.content : Buffer.from(result.content as Uint8Array);
      return { body, info: infoFromHeaders(key, result.res.headers as Headers) };
    } catch (err) {
      if (isOssCode(err, 'NoSuchKey')) return undefined;
      if (isOssCode(err, 'InvalidRange')) throw new AppError(416, 'InvalidRange', `range ${headers.Range} is outside ${key}`);
      throw mapError(err);
    }
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    try {
      const result = await this.client.head(key);
      return infoFromHeaders(key, result.res.headers as Headers);
    } catch (err) {
      if (isOssCode(err, 'NoSuchKey')) return undefined;
      throw mapError(err);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.delete(key);
    } catch (err) {
      throw mapError(err);
    }
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      try {
        await this.client.deleteMulti(keys.slice(i, i + DELETE_BATCH), { quiet: true });
      } catch (err) {
        throw mapError(err);
      }
    }
  }

  /** Same-bucket server-side copy, keeping content type and metadata. Missing source → NotFoundError. */
  async copy(fromKey: string, toKey: string): Promise<void> {
    try {
      await this.client.copy(toKey, fromKey);
    } catch (err) {
      if (isOssCode(err, 'NoSuchKey')) throw new NotFoundError(`object ${fromKey} not found`);
      throw mapError(err);
    }
  }

  /**
   * ListObjectsV2. Listings carry no Content-Type or user metadata (OSS does not return them), so entries have
   * `contentType: ''` and `meta: {}`; call `head` when those matter.
   */
  async list(options: { prefix?: string; delimiter?: string; maxKeys?: number; continuationToken?: string }): Promise<ListPage> {
    // Empty values are left out: a signed `prefix=` is canonicalised differently by SDK and server.
    const query: OSS.ListV2ObjectsQuery = { 'max-keys': options.maxKeys ?? 1000 };
    if (options.prefix) query.prefix = options.prefix;
    if (options.delimiter) query.delimiter = options.delimiter;
    if (options.continuationToken) query['continuation-token'] = options.continuationToken;
    try {
      const result = await this.client.listV2(query, {});
      return {
        objects: (result.objects ?? []).map((object) => ({
          key: object.name,
          size: Number(object.size),
          etag: normalizeEtag(object.etag),
          contentType: '',
          lastModified: new Date(object.lastModified),
          meta: {},
        })),
        prefixes: result.prefixes ?? [],
        ...(result.isTruncated && result.nextContinuationToken ? { nextContinuationToken: result.nextContinuationToken } : {}),
      };
    } catch (err) {
      throw mapError(err);
    }
  }

  /**
   * A presigned URL (`signatureUrlV4`, or `signatureUrl` with `signatureVersion: 1`). For PUT the content type is
   * signed: the client must send exactly `headers['Content-Type']`, or OSS answers SignatureDoesNotMatch.
   */
  async signUrl(method: 'GET' | 'PUT', key: string, options: { expiresInSeconds: number; contentType?: string }): Promise<SignedUrl> {
    const { expiresInSeconds, contentType } = options;
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_SIGNED_URL_SECONDS) {
      throw new ValidationError(`expiresInSeconds must be an integer from 1 to ${MAX_SIGNED_URL_SECONDS}`);
    }
    const headers: Record<string, string> = contentType ? { 'Content-Type': contentType } : {};
    if (this.options.signatureVersion === 1) {
      const url = this.signingClient().signatureUrl(key, { method, expires: expiresInSeconds, ...(contentType ? { 'Content-Type': contentType } : {}) } as OSS.SignatureUrlOptions);
      return { url, headers, expiresAt: new Date(Number(new URL(url).searchParams.get('Expires')) * 1000) };
    }
    const url = await this.signingClient().signatureUrlV4(method, expiresInSeconds, { headers: contentType ? { 'content-type': contentType } : {} }, key);
    const signedAt = parseV4Date(new URL(url).searchParams.get('x-oss-date') ?? '') ?? Date.now();
    return { url, headers, expiresAt: new Date(signedAt + expiresInSeconds * 1000) };
  }

  /** Browsers cannot reach internal endpoints, so URLs are signed by a client on the public one. */
  private signingClient(): OSS {
    if (!this.options.internal || this.options.endpoint) return this.client;
    this.signer ??= new OSS(clientOptions(this.options, false));
    return this.signer;
  }
}

/**
 * Builds the adapter from the environment: `OSS_REGION` or `FC_REGION`, `OSS_ENDPOINT` (the local cloud sets
 * it to its emulator), `OSS_INTERNAL=true` for the internal endpoint.
 * @example const images = ossObjectStoreFromEnv(process.env, credentialsFrom(context), process.env.IMAGES_BUCKET!);
 */
export function ossObjectStoreFromEnv(env: Record<string, string | undefined>, credentials: Credentials, bucket: string): OssObjectStore {
  const region = env.OSS_REGION || env.FC_REGION;
  if (!region) throw new Error('OSS region unknown: set OSS_REGION (FC sets FC_REGION)');
  return new OssObjectStore({
    bucket,
    region,
    credentials,
    ...(env.OSS_ENDPOINT ? { endpoint: env.OSS_ENDPOINT } : {}),
    internal: env.OSS_INTERNAL === 'true' || env.OSS_INTERNAL === '1',
  });
}

function clientOptions(options: OssObjectStoreOptions, internal: boolean): ClientOptions {
  const { accessKeyId, accessKeySecret, securityToken } = options.credentials;
  const region = `oss-${options.region.replace(/^oss-/, '')}`;
  const base: ClientOptions = {
    bucket: options.bucket,
    region,
    accessKeyId,
    accessKeySecret,
    authorizationV4: options.signatureVersion !== 1,
    secure: true,
    ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
  };
  if (securityToken) {
    base.stsToken = securityToken;
    // FC hands each invocation fresh STS credentials and clients are rebuilt per key, so "refresh" returns the
    // same ones; without the hook ali-oss warns on every client.
    base.refreshSTSToken = async () => ({ accessKeyId, accessKeySecret, stsToken: securityToken });
  }
  if (!options.endpoint) return { ...base, internal };

  const url = new URL(options.endpoint.includes('://') ? options.endpoint : `https://${options.endpoint}`);
  // ali-oss rewrites Host for IP endpoints and cannot presign against them (reference §3.5); loopback is localhost.
  if (url.hostname === '127.0.0.1' || url.hostname === '[::1]') url.hostname = 'localhost';
  const aliyun = url.hostname.endsWith('.aliyuncs.com');
  return { ...base, endpoint: url.origin, secure: url.protocol === 'https:', sldEnable: !aliyun };
}

function headerText(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `"5B3C…"` → `5B3C…`: the form OSS events use, so an event's eTag compares equal to `head().etag`. */
function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

function infoFromHeaders(key: string, headers: Headers): ObjectInfo {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('x-oss-meta-') && value !== undefined) meta[name.slice('x-oss-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  // For a ranged GET the full size is the total in Content-Range (`bytes 0-9/1234`).
  const total = /\/(\d+)$/.exec(headerText(headers, 'content-range') ?? '')?.[1];
  return {
    key,
    size: Number(total ?? headerText(headers, 'content-length') ?? 0),
    etag: normalizeEtag(headerText(headers, 'etag') ?? ''),
    contentType: headerText(headers, 'content-type') ?? 'application/octet-stream',
    lastModified: new Date(headerText(headers, 'last-modified') ?? 0),
    meta,
  };
}

function parseV4Date(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : undefined;
}

interface OssSdkError {
  code?: string;
  status?: number;
  name?: string;
}

function isOssCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as OssSdkError).code === code;
}

/** Network failures, timeouts and 5xx are worth retrying; anything else is a bug or a configuration error. */
function mapError(err: unknown): unknown {
  if (typeof err !== 'object' || err === null) return err;
  const { status, name, code } = err as OssSdkError;
  const transient =
    status === -1 || status === -2 || (typeof status === 'number' && status >= 500) || /Timeout/.test(name ?? '') || code === 'RequestTimeout';
  if (transient) return new RetryableError(`OSS request failed: ${(err as Error).message}`, code ?? 'OssUnavailable');
  return err;
}
