/**
 * ObjectStore port: what functions need from OSS. Adapter: `OssObjectStore` (ali-oss, signature V4),
 * pointed at real OSS in the cloud and at the local OSS emulator by `OSS_ENDPOINT`.
 */
export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  contentType: string;
  lastModified: Date;
  /** `x-oss-meta-*` headers without the prefix, names lower-cased. */
  meta: Record<string, string>;
}

export interface PutOptions {
  contentType?: string;
  meta?: Record<string, string>;
  cacheControl?: string;
}

export interface ListPage {
  objects: ObjectInfo[];
  /** Common prefixes when a delimiter was given. */
  prefixes: string[];
  nextContinuationToken?: string;
}

export interface SignedUrl {
  url: string;
  /** Headers the client must send with the request, exactly. */
  headers: Record<string, string>;
  expiresAt: Date;
}

export interface ObjectStore {
  put(key: string, body: Buffer, options?: PutOptions): Promise<{ etag: string }>;
  /** Resolves to undefined when the object does not exist. */
  get(key: string, options?: { range?: { start: number; end: number } }): Promise<{ body: Buffer; info: ObjectInfo } | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  delete(key: string): Promise<void>;
  deleteMany(keys: string[]): Promise<void>;
  copy(fromKey: string, toKey: string): Promise<void>;
  list(options: { prefix?: string; delimiter?: string; maxKeys?: number; continuationToken?: string }): Promise<ListPage>;
  /** A presigned URL (OSS signature V4) for a browser to PUT or GET one object directly. */
  signUrl(method: 'GET' | 'PUT', key: string, options: { expiresInSeconds: number; contentType?: string }): Promise<SignedUrl>;
}
