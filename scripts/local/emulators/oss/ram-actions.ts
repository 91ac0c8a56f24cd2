/**
 * The RAM action and resource of an OSS request (D144), for holding a function's role to its policies. Actions
 * are OSS's own names (`oss:GetObject`, `oss:ListObjects`, `oss:GetBucketCors`…); resources are
 * `acs:oss:*:<account>:<bucket>` for bucket operations and `acs:oss:*:<account>:<bucket>/<key>` for objects.
 */
import type { AccessControl } from '../../ram/access';
import { OssError } from './errors';

/** Bucket sub-resources whose action does not follow `oss:<Verb>Bucket<Sub>`. */
const BUCKET_ACTIONS: Record<string, Record<string, string>> = {
  '': { GET: 'oss:ListObjects', HEAD: 'oss:GetBucketInfo', PUT: 'oss:PutBucket', DELETE: 'oss:DeleteBucket' },
  bucketInfo: { GET: 'oss:GetBucketInfo' },
  uploads: { GET: 'oss:ListMultipartUploads' },
  delete: { POST: 'oss:DeleteObject' },
  versions: { GET: 'oss:ListObjectVersions' },
};

/** A request naming one version (`?versionId=`) is authorized as OSS's version actions (D156). */
const VERSION_ACTIONS: Record<string, string> = {
  'oss:GetObject': 'oss:GetObjectVersion',
  'oss:DeleteObject': 'oss:DeleteObjectVersion',
  'oss:GetObjectAcl': 'oss:GetObjectVersionAcl',
  'oss:PutObjectAcl': 'oss:PutObjectVersionAcl',
  'oss:GetObjectTagging': 'oss:GetObjectVersionTagging',
  'oss:PutObjectTagging': 'oss:PutObjectVersionTagging',
  'oss:DeleteObjectTagging': 'oss:DeleteObjectVersionTagging',
  'oss:RestoreObject': 'oss:RestoreObjectVersion',
};

const OBJECT_ACTIONS: Record<string, Record<string, string>> = {
  '': { GET: 'oss:GetObject', HEAD: 'oss:GetObject', PUT: 'oss:PutObject', POST: 'oss:PutObject', DELETE: 'oss:DeleteObject' },
  'x-oss-process': { GET: 'oss:GetObject', POST: 'oss:PutObject' },
  uploads: { POST: 'oss:PutObject' },
  uploadId: { PUT: 'oss:PutObject', POST: 'oss:PutObject', GET: 'oss:ListParts', DELETE: 'oss:AbortMultipartUpload' },
  objectMeta: { GET: 'oss:GetObject', HEAD: 'oss:GetObject' },
  append: { POST: 'oss:PutObject' },
  restore: { POST: 'oss:RestoreObject' },
};

const VERBS: Record<string, string> = { GET: 'Get', HEAD: 'Get', PUT: 'Put', POST: 'Put', DELETE: 'Delete' };
const capitalized = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function ossRamAction(level: 'service' | 'bucket' | 'object', method: string, sub: string, versioned = false): string {
  if (level === 'service') return 'oss:ListBuckets';
  const action =
    (level === 'bucket' ? BUCKET_ACTIONS : OBJECT_ACTIONS)[sub]?.[method] ??
    `oss:${VERBS[method] ?? capitalized(method.toLowerCase())}${level === 'bucket' ? 'Bucket' : 'Object'}${capitalized(sub)}`;
  return (versioned && VERSION_ACTIONS[action]) || action;
}

export function ossRamResource(accountId: string, bucket: string | undefined, key: string | undefined): string {
  if (bucket === undefined) return `acs:oss:*:${accountId}:*`;
  return key === undefined ? `acs:oss:*:${accountId}:${bucket}` : `acs:oss:*:${accountId}:${bucket}/${key}`;
}

/**
 * OSS's answer when RAM refuses a signed request: 403 AccessDenied with the action and the kind of denial (EC
 * 0003-00000201 for an explicit Deny; the implicit case as OSS's error centre describes 0003-00000202).
 */
export function checkRamAccess(access: AccessControl | undefined, accessKeyId: string, action: string, bucket: string | undefined, key: string | undefined): void {
  if (!access) return;
  const denial = access.check(accessKeyId, action, ossRamResource(access.accountId, bucket, key));
  if (!denial) return;
  const explicit = denial.kind === 'ExplicitDeny';
  throw new OssError(403, 'AccessDenied', explicit ? `Access denied by RAM policy: ${denial.message}` : `You have no right to access this resource: ${denial.message}`, { AuthAction: action, NoPermissionType: denial.kind }, explicit ? '0003-00000201' : '0003-00000202');
}
