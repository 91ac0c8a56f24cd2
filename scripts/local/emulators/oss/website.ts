/**
 * Static website hosting for anonymous reads (PutBucketWebsite's IndexDocument and ErrorDocument), applied as OSS
 * applies them (D155, D160):
 * - `GET /<bucket>/` serves the index document; `GET /<bucket>/dir/` serves `dir/<index>` with SupportSubDir, else
 *   the root's index (SupportSubDir's default, false).
 * - A path without its trailing slash whose object is missing, with SupportSubDir true, follows IndexDocument.Type:
 *   0 (the default) answers 302 to `<path>/` when `<path>/<index>` exists, 1 looks no further, 2 serves
 *   `<path>/<index>` itself. Nothing found: the error document (with its HttpStatus, default 404). Without
 *   SupportSubDir, Type is stored and not applied — OSS's pages say it "takes effect only when SupportSubDir is true".
 * - Every document served is read as a GET of its own key would be: the bucket policy first (a Deny refuses, an Allow
 *   opens what the ACL keeps private), else the object's or bucket's ACL. The requested path's own policy and ACL
 *   were checked before (server.ts).
 */
import { authorize } from './access';
import type { WebsiteConfig } from './bucket-config';
import { checkBucketPolicy } from './bucket-policy';
import type { RequestContext } from './context';
import { getObject } from './object-ops';
import { sendEmpty } from './respond';
import type { Caller } from './signature';
import type { BucketRecord } from './storage';

/** Answers the request as the website does when it applies; false when the request is a plain read (or a listing). */
export async function servedAsWebsite(ctx: RequestContext, caller: Caller, need: string, sub: string): Promise<boolean> {
  if (ctx.method !== 'GET' || need !== 'read' || sub !== '' || ctx.bucket === undefined) return false;
  const bucket = ctx.runtime.storage.getBucket(ctx.bucket);
  const website = bucket?.config.website as WebsiteConfig | undefined;
  if (!bucket || !website) return false;
  // `GET /<bucket>/?prefix=…` is ListObjects, not the home page.
  if (ctx.key === undefined && [...ctx.params.keys()].length > 0) return false;
  const exists = (key: string) => ctx.runtime.storage.getObject(bucket.name, key) !== undefined;
  const directory = ctx.key === undefined || ctx.key.endsWith('/');
  const suffix = website.indexSuffix;
  const key = directory && suffix ? (website.supportSubDir ? `${ctx.key ?? ''}${suffix}` : suffix) : ctx.key;
  if (key !== undefined && exists(key)) return serve(ctx, caller, bucket, key, 200);
  if (!directory && suffix && website.supportSubDir && ctx.key !== undefined) {
    const subIndex = `${ctx.key}/${suffix}`;
    const type = website.indexType ?? 0;
    if (type === 0 && exists(subIndex)) return redirectToDirectory(ctx);
    if (type === 2 && exists(subIndex)) return serve(ctx, caller, bucket, subIndex, 200);
  }
  if (website.errorKey && exists(website.errorKey)) return serve(ctx, caller, bucket, website.errorKey, website.errorStatus ?? 404);
  return false;
}

/** One document, read as an anonymous GET of `key` is: the bucket policy, else the ACL. */
async function serve(ctx: RequestContext, caller: Caller, bucket: BucketRecord, key: string, status: number): Promise<true> {
  // Throws on an explicit Deny; an Allow stands in for the ACL, as for any anonymous GET (server.ts, D155).
  const policy = checkBucketPolicy(bucket.config.policy, undefined, 'oss:GetObject', bucket.name, key);
  if (policy !== 'allow') authorize(caller, 'read', bucket, ctx.runtime.storage.getObject(bucket.name, key)?.acl);
  await getObject(ctx, key, status);
  return true;
}

/**
 * Type 0: 302 to the path with its slash, URL-encoded as it came (`/abc` → `/abc/`; path-style `/<bucket>/abc` →
 * `/<bucket>/abc/`). The browser's next request reads the directory's index under its own policy and ACL.
 */
function redirectToDirectory(ctx: RequestContext): true {
  const path = (ctx.req.url ?? '/').replace(/[?#].*$/, '');
  sendEmpty(ctx, 302, { Location: `${path}/` });
  return true;
}
