import { createHash } from 'node:crypto';
import type { FcContext } from '#shared/fc/types';
import type { ListPage, ObjectInfo, ObjectStore, PutOptions, SignedUrl } from '#shared/ports/object-store';
import type { FunctionInvoker, InvokeOptions, InvokeResult } from '#shared/ports/function-invoker';
import { AppError } from '#shared/errors';

/** An FC context for calling handlers directly in unit tests. */
export function fakeContext(overrides: Partial<FcContext> = {}): FcContext {
  const noop = () => undefined;
  return {
    requestId: `req-${Math.random().toString(16).slice(2)}`,
    credentials: { accessKeyId: 'ak', accessKeySecret: 'sk', securityToken: 'token' },
    function: { name: 'test-fn', handler: 'index.handler', memory: 256, timeout: 5 },
    region: 'cn-hangzhou',
    accountId: '1',
    logger: { debug: noop, info: noop, warn: noop, error: noop },
    ...overrides,
  };
}

/** An FC HTTP trigger event (v1) as a Buffer. */
export function httpEvent(method: string, path: string, options: { query?: Record<string, string>; headers?: Record<string, string>; body?: string } = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: path,
      body: options.body ?? '',
      isBase64Encoded: false,
      headers: options.headers ?? {},
      queryParameters: options.query ?? {},
      requestContext: {
        accountId: '1',
        domainName: 'test',
        domainPrefix: 'test',
        // FC decodes the path it hands the function (`rawPath` stays as sent).
        http: { method, path: decodedPath(path), protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
        requestId: 'req-1',
        time: '2026-11-25T00:00:00Z',
        timeEpoch: '0',
      },
    }),
  );
}

/** The path as FC's HTTP trigger decodes it: a malformed escape is left as sent. */
function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export interface RecordedCall {
  functionName: string;
  payload: unknown;
  options: InvokeOptions | undefined;
}

/**
 * A FunctionInvoker whose services are plain async functions; each may be delayed or fail.
 * Records every call so tests assert on the fan-out.
 */
export class FakeInvoker implements FunctionInvoker {
  readonly calls: RecordedCall[] = [];
  constructor(private readonly services: Record<string, (payload: Record<string, unknown>) => Promise<unknown>>) {}

  async invoke(functionName: string, payload: Buffer | string | object, options?: InvokeOptions): Promise<InvokeResult> {
    const parsed = (Buffer.isBuffer(payload) || typeof payload === 'string' ? JSON.parse(payload.toString()) : payload) as Record<string, unknown>;
    this.calls.push({ functionName, payload: parsed, options });
    const service = this.services[functionName];
    if (!service) throw new Error(`no fake for ${functionName}`);
    const work = service(parsed).then((value) => ({ status: 200, body: Buffer.from(JSON.stringify(value)), requestId: 'r' }));
    if (options?.timeoutMs === undefined) return work;
    // The timer goes with the call: left running, each call kept the jest worker busy for its whole budget.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), options.timeoutMs).unref()));
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }
}

/** An in-memory ObjectStore for unit tests of cores; signed URLs are fake but carry method, key and type. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; info: ObjectInfo }>();
  readonly deleted: string[] = [];
  readonly puts: string[] = [];

  async put(key: string, body: Buffer, options: PutOptions = {}): Promise<{ etag: string }> {
    const etag = createHash('md5').update(body).digest('hex').toUpperCase();
    this.objects.set(key, { body, info: { key, size: body.length, etag, contentType: options.contentType ?? 'application/octet-stream', lastModified: new Date(), meta: { ...(options.meta ?? {}) } } });
    this.puts.push(key);
    return { etag };
  }
  /** Every GET's range as asked (`undefined`: the whole object), for tests of how much a core reads. */
  readonly gets: { key: string; range?: { start: number; end: number } }[] = [];

  /** A range as OSS answers it with `x-oss-range-behavior: standard` (the adapter's): the end clipped, a start past the end refused. */
  async get(key: string, options: { range?: { start: number; end: number } } = {}) {
    this.gets.push({ key, ...(options.range ? { range: options.range } : {}) });
    const object = this.objects.get(key);
    if (!object) return undefined;
    if (!options.range) return { body: object.body, info: object.info };
    const { start, end } = options.range;
    if (start >= object.body.length) throw new AppError(416, 'InvalidRange', `range bytes=${start}-${end} is outside ${key}`);
    return { body: object.body.subarray(start, end + 1), info: object.info };
  }
  async head(key: string) {
    return this.objects.get(key)?.info;
  }
  async delete(key: string): Promise<void> {
    this.objects.delete(key);
    this.deleted.push(key);
  }
  async deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) await this.delete(key);
  }
  async copy(fromKey: string, toKey: string): Promise<void> {
    const object = this.objects.get(fromKey);
    if (!object) throw new Error(`no ${fromKey}`);
    this.objects.set(toKey, { body: object.body, info: { ...object.info, key: toKey } });
  }
  async list(options: { prefix?: string }): Promise<ListPage> {
    const objects = [...this.objects.values()].map((o) => o.info).filter((info) => info.key.startsWith(options.prefix ?? ''));
    return { objects: objects.sort((a, b) => (a.key < b.key ? -1 : 1)), prefixes: [] };
  }
  async signUrl(method: 'GET' | 'PUT', key: string, options: { expiresInSeconds: number; contentType?: string }): Promise<SignedUrl> {
    return {
      url: `https://bucket.example/${key}?method=${method}&expires=${options.expiresInSeconds}`,
      headers: options.contentType ? { 'Content-Type': options.contentType } : {},
      expiresAt: new Date(Date.now() + options.expiresInSeconds * 1000),
    };
  }
}
