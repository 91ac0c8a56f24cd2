/** What every operation handler receives: the parsed request and the emulator's runtime. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventStamp } from './event-outbox';
import type { OssEventName } from './events';
import type { S3Request } from './s3-compat';
import type { OssStorage } from './storage';

export interface EmulatorRuntime {
  storage: OssStorage;
  region: string;
  accountId: string;
  maxObjectBytes: number;
  /** Base URL for `Location` elements, e.g. http://localhost:9100 */
  endpoint: () => string;
}

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  runtime: EmulatorRuntime;
  requestId: string;
  method: string;
  host: string;
  /** Undefined for service-level requests (ListBuckets). */
  bucket: string | undefined;
  /** Undefined for bucket-level requests. */
  key: string | undefined;
  /** Decoded query parameters in arrival order (signatures need all of them). */
  query: Array<[string, string]>;
  /** Last value per query parameter name. */
  params: Map<string, string>;
  sourceIp: string;
  /** The emulator clock at request arrival (epoch ms). */
  now: number;
  /** Set when the request came through OSS's S3-compatible API (AWS signature); see s3-compat.ts. */
  s3?: S3Request;
}

/** The bucket of a bucket- or object-level request (the router guarantees it). */
export function bucketOf(ctx: RequestContext): string {
  if (ctx.bucket === undefined) throw new Error('bucket-level handler called without a bucket');
  return ctx.bucket;
}

export function keyOf(ctx: RequestContext): string {
  if (ctx.key === undefined) throw new Error('object-level handler called without a key');
  return ctx.key;
}

/** What a write this request makes tells its event: the storage records the event with the write (D151). */
export function eventOf(ctx: RequestContext, eventName: OssEventName): EventStamp {
  return { eventName, requestId: ctx.requestId, sourceIp: ctx.sourceIp };
}

export function headerOf(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
