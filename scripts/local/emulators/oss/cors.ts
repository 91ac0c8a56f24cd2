/**
 * Bucket CORS as OSS applies it (https://www.alibabacloud.com/help/en/oss/developer-reference/options): the first
 * rule whose AllowedOrigin, AllowedMethod and AllowedHeader patterns (one `*` wildcard each) match the request
 * decides; a preflight that matches no rule — or reaches a bucket without CORS rules — is answered 403 without
 * `Access-Control-*` headers. Buckets declared in the ROS template get one rule for the configured origins.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CorsConfig, CorsRule } from './bucket-config';

export const CORS_METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD'];
/** What the website reads from OSS answers; exposed by the rule of the declared buckets. */
export const CORS_EXPOSE_HEADERS = ['ETag', 'x-oss-request-id', 'x-oss-hash-crc64ecma', 'x-oss-object-type', 'x-oss-next-append-position', 'Content-Length', 'Content-Range'];
const DEFAULT_MAX_AGE_SECONDS = 600;

export type CorsOrigins = string[] | '*';

/** The CORS configuration a bucket declared in the ROS template starts with: its origins, every method, any header. */
export function declaredCorsConfig(origins: CorsOrigins): CorsConfig {
  return {
    rules: [
      {
        allowedOrigins: origins === '*' ? ['*'] : [...origins],
        allowedMethods: [...CORS_METHODS],
        allowedHeaders: ['*'],
        exposeHeaders: [...CORS_EXPOSE_HEADERS],
        maxAgeSeconds: DEFAULT_MAX_AGE_SECONDS,
      },
    ],
    responseVary: true,
  };
}

/** `pattern` with at most one `*`, matched case-insensitively when `caseless`. */
export function wildcardMatch(pattern: string, value: string, caseless = false): boolean {
  const p = caseless ? pattern.toLowerCase() : pattern;
  const v = caseless ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

function matchRule(config: CorsConfig | undefined, origin: string, method: string, requestHeaders: string[]): CorsRule | undefined {
  return config?.rules.find(
    (rule) =>
      rule.allowedOrigins.some((pattern) => wildcardMatch(pattern, origin)) &&
      rule.allowedMethods.includes(method) &&
      requestHeaders.every((header) => rule.allowedHeaders.some((pattern) => wildcardMatch(pattern, header, true))),
  );
}

function answer(rule: CorsRule, origin: string, methods: string, vary: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    'Access-Control-Allow-Origin': rule.allowedOrigins.includes('*') && !vary ? '*' : origin,
    'Access-Control-Allow-Methods': methods,
  };
  if (rule.exposeHeaders.length > 0) headers['Access-Control-Expose-Headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== undefined) headers['Access-Control-Max-Age'] = String(rule.maxAgeSeconds);
  if (vary) headers.Vary = 'Origin';
  return headers;
}

/** Headers for an actual (non-preflight) request, or none when the origin is absent or no rule matches. */
export function corsHeaders(config: CorsConfig | undefined, method: string, headers: IncomingHttpHeaders): Record<string, string> {
  const origin = headers.origin;
  if (!origin) return {};
  const rule = matchRule(config, origin, method, []);
  return rule ? answer(rule, origin, rule.allowedMethods.join(', '), config?.responseVary ?? false) : {};
}

/** Preflight answer headers, or undefined when the preflight is not allowed (→ 403 AccessForbidden). */
export function preflightHeaders(config: CorsConfig | undefined, headers: IncomingHttpHeaders): Record<string, string> | undefined {
  const origin = headers.origin;
  const method = headers['access-control-request-method'];
  if (!origin || !method) return undefined;
  const requested = (headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const rule = matchRule(config, origin, method.toUpperCase(), requested);
  if (!rule) return undefined;
  const out = answer(rule, origin, method.toUpperCase(), config?.responseVary ?? false);
  if (requested.length > 0) out['Access-Control-Allow-Headers'] = requested.join(', ');
  return out;
}
