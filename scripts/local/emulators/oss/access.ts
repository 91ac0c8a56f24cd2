/**
 * Who may do what. The local account (any verified signature) owns every bucket and may do anything; a bucket
 * policy's Deny (bucket-policy.ts, applied in server.ts) and a function role's RAM policies (ram-actions.ts) are
 * checked beside this. An anonymous request (no signature) is decided by a bucket policy's Allow, else by ACLs as
 * OSS decides it: the object's ACL unless it is `default`, else the bucket's — `public-read` allows reads,
 * `public-read-write` writes too; bucket configuration is never anonymous. Referer allow/block lists apply to anonymous requests and to
 * presigned URLs (a request signed in its Authorization header is not checked, as on OSS).
 */
import type { RefererConfig } from './bucket-config';
import { ossErrors } from './errors';
import type { Caller } from './signature';
import type { BucketRecord, ObjectAcl } from './storage';

/** What a route needs of its caller. */
export type Need = 'read' | 'write' | 'owner';

export function authorize(caller: Caller, need: Need, bucket: BucketRecord | undefined, objectAcl: ObjectAcl | undefined = undefined): void {
  if (caller.mode !== 'anonymous') return;
  if (need === 'owner' || !bucket) throw ossErrors.accessDenied('You have no right to access this bucket: anonymous requests may only read or write objects the ACL makes public.', '0003-00000001');
  const effective = objectAcl && objectAcl !== 'default' ? objectAcl : (bucket.config.acl ?? 'private');
  const allowed = need === 'read' ? effective === 'public-read' || effective === 'public-read-write' : effective === 'public-read-write';
  if (!allowed) throw ossErrors.anonymous();
}

/** OSS referer patterns: `*` any run of characters, `?` one character, compared case-insensitively. */
function refererPattern(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Throws AccessDenied when the bucket's referer configuration refuses this request's `Referer`. */
export function checkReferer(caller: Caller, config: RefererConfig | undefined, referer: string | undefined): void {
  if (caller.mode === 'header' || !config) return;
  if (config.referers.length === 0 && config.blacklist.length === 0) return;
  if (!referer) {
    if (config.allowEmpty) return;
    throw ossErrors.accessDenied('You are denied by bucket referer policy: the request has no Referer.');
  }
  let candidate = referer;
  if (config.allowTruncateQueryString) candidate = candidate.replace(/[?#].*$/, '');
  const candidates = [referer, candidate];
  if (config.truncatePath) candidates.push(candidate.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/]*).*$/i, '$1'));
  const matches = (patterns: string[]) => patterns.some((p) => candidates.some((c) => refererPattern(p).test(c)));
  if (matches(config.blacklist)) throw ossErrors.accessDenied('You are denied by bucket referer policy: the Referer is blocked.');
  if (config.referers.length > 0 && !matches(config.referers)) throw ossErrors.accessDenied('You are denied by bucket referer policy.');
}
