/**
 * Bucket CORS as the website needs it: one rule per emulator (the configured origins, all methods, any request
 * header), so the browser can PUT to a signed URL and read `ETag` / `x-oss-request-id`.
 * OSS semantics: https://www.alibabacloud.com/help/en/oss/developer-reference/options — a preflight that does not
 * match is answered 403 without `Access-Control-*` headers.
 */
import type { IncomingHttpHeaders } from 'node:http';

export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
export const CORS_EXPOSE_HEADERS = ['ETag', 'x-oss-request-id', 'x-oss-hash-crc64ecma', 'x-oss-object-type', 'Content-Length', 'Content-Range'];
const MAX_AGE_SECONDS = '600';

export type CorsOrigins = string[] | '*';

function allowedOrigin(origins: CorsOrigins, origin: string): string | undefined {
  if (origins === '*') return '*';
  return origins.includes(origin) ? origin : undefined;
}

/** Headers for an actual (non-preflight) request, or none when the origin is absent or not allowed. */
export function corsHeaders(origins: CorsOrigins, headers: IncomingHttpHeaders): Record<string, string> {
  const origin = headers.origin;
  if (!origin) return {};
  const allowed = allowedOrigin(origins, origin);
  if (!allowed) return {};
  return {
    'Access-Control-Allow-Origin': allowed,
    'Access-Control-Allow-Methods': CORS_METHODS.join(', '),
    'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS.join(', '),
    'Access-Control-Max-Age': MAX_AGE_SECONDS,
    Vary: 'Origin',
  };
}

/** Preflight answer headers, or undefined when the preflight is not allowed (→ 403 AccessForbidden). */
export function preflightHeaders(origins: CorsOrigins, headers: IncomingHttpHeaders): Record<string, string> | undefined {
  const origin = headers.origin;
  const method = headers['access-control-request-method'];
  if (!origin || !method) return undefined;
  const allowed = allowedOrigin(origins, origin);
  if (!allowed || !CORS_METHODS.includes(method.toUpperCase())) return undefined;
  const requested = headers['access-control-request-headers'];
  return {
    'Access-Control-Allow-Origin': allowed,
    'Access-Control-Allow-Methods': method.toUpperCase(),
    // The rule allows any header (AllowedHeader *), so echo what was asked for.
    ...(requested ? { 'Access-Control-Allow-Headers': requested } : {}),
    'Access-Control-Expose-Headers': CORS_EXPOSE_HEADERS.join(', '),
    'Access-Control-Max-Age': MAX_AGE_SECONDS,
    Vary: 'Origin',
  };
}
