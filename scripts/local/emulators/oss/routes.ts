/**
 * The operation table: which (level, method, sub-resource) the emulator answers, what the caller needs for it,
 * and the documented OSS sub-resources it refuses by name. A request naming a sub-resource is never answered by
 * another operation (a listing, a plain GET): it is either that sub-resource's operation or a refusal.
 */
import type { Need } from './access';
import * as bucketConfig from './bucket-config';
import { deleteMultipleObjects, listObjectsV1, listObjectsV2 } from './bucket-ops';
import type { RequestContext } from './context';
import { headerOf } from './context';
import { ossErrors } from './errors';
import { abortMultipartUpload, completeMultipartUpload, initiateMultipartUpload, listMultipartUploads, listParts, uploadPart, uploadPartCopy } from './multipart-ops';
import * as objects from './object-ops';
import { sendEmpty } from './respond';
import { listObjectVersions } from './version-ops';

export type Level = 'service' | 'bucket' | 'object';
export type Handler = (ctx: RequestContext) => void | Promise<void>;

export interface Route {
  need: Need | 'form';
  run: Handler;
}

type Table = Record<string, Partial<Record<string, Route>>>;

const owner = (run: Handler): Route => ({ need: 'owner', run });
const read = (run: Handler): Route => ({ need: 'read', run });
const write = (run: Handler): Route => ({ need: 'write', run });

/** Bucket-level operations by sub-resource ('' = none) and method. PostObject (`POST /<bucket>`) is wired by the server. */
export const BUCKET_ROUTES: Table = {
  '': {
    GET: read((ctx) => (ctx.params.has('list-type') ? listObjectsV2(ctx) : listObjectsV1(ctx))),
    HEAD: read((ctx) => sendEmpty(ctx, 200)),
    PUT: owner(bucketConfig.putBucket),
    DELETE: owner(bucketConfig.deleteBucket),
  },
  acl: { GET: owner(bucketConfig.getBucketAcl), PUT: owner(bucketConfig.putBucketAcl) },
  bucketInfo: { GET: owner(bucketConfig.getBucketInfo) },
  location: { GET: owner(bucketConfig.getBucketLocation) },
  stat: { GET: owner(bucketConfig.getBucketStat) },
  cors: { GET: owner(bucketConfig.getBucketCors), PUT: owner(bucketConfig.putBucketCors), DELETE: owner(bucketConfig.deleteBucketConfig('cors')) },
  referer: { GET: owner(bucketConfig.getBucketReferer), PUT: owner(bucketConfig.putBucketReferer) },
  website: { GET: owner(bucketConfig.getBucketWebsite), PUT: owner(bucketConfig.putBucketWebsite), DELETE: owner(bucketConfig.deleteBucketConfig('website')) },
  lifecycle: { GET: owner(bucketConfig.getBucketLifecycle), PUT: owner(bucketConfig.putBucketLifecycle), DELETE: owner(bucketConfig.deleteBucketConfig('lifecycle')) },
  tagging: { GET: owner(bucketConfig.getBucketTagging), PUT: owner(bucketConfig.putBucketTagging), DELETE: owner(bucketConfig.deleteBucketTagging) },
  versioning: { GET: owner(bucketConfig.getBucketVersioning), PUT: owner(bucketConfig.putBucketVersioning) },
  versions: { GET: read(listObjectVersions) },
  encryption: { GET: owner(bucketConfig.getBucketEncryption), PUT: owner(bucketConfig.putBucketEncryption), DELETE: owner(bucketConfig.deleteBucketConfig('encryption')) },
  policy: { GET: owner(bucketConfig.getBucketPolicy), PUT: owner(bucketConfig.putBucketPolicy), DELETE: owner(bucketConfig.deleteBucketConfig('policy')) },
  uploads: { GET: owner(listMultipartUploads) },
  delete: { POST: write(deleteMultipleObjects) },
};

/** Object-level operations by sub-resource and method. GET with `x-oss-process` is wired by the server (image engine). */
export const OBJECT_ROUTES: Table = {
  '': {
    GET: read((ctx) => objects.getObject(ctx)),
    HEAD: read(objects.headObject),
    PUT: write((ctx) => {
      const source = headerOf(ctx, 'x-oss-copy-source');
      return source ? objects.copyObject(ctx, source) : objects.putObject(ctx);
    }),
    DELETE: write(objects.deleteObject),
  },
  acl: { GET: owner(objects.getObjectAcl), PUT: owner(objects.putObjectAcl) },
  tagging: { GET: owner(objects.getObjectTagging), PUT: owner(objects.putObjectTagging), DELETE: owner(objects.deleteObjectTagging) },
  symlink: { GET: read(objects.getSymlink), PUT: write(objects.putSymlink) },
  append: { POST: write(objects.appendObject) },
  restore: { POST: owner(objects.restoreObject) },
  objectMeta: { GET: read(objects.getObjectMeta), HEAD: read(objects.getObjectMeta) },
  uploads: { POST: write(initiateMultipartUpload) },
  uploadId: {
    PUT: write((ctx) => {
      const source = headerOf(ctx, 'x-oss-copy-source');
      return source ? uploadPartCopy(ctx, source) : uploadPart(ctx);
    }),
    GET: owner(listParts),
    DELETE: write(abortMultipartUpload),
    POST: write(completeMultipartUpload),
  },
};

/**
 * Documented OSS sub-resources the emulator does not implement, with the operation they name. Any request that
 * carries one is refused with 501 NotImplemented naming it, whatever else it carries.
 */
export const NOT_EMULATED_SUBRESOURCES: Record<string, string> = {
  logging: 'Bucket logging (PutBucketLogging, GetBucketLogging, DeleteBucketLogging)',
  inventory: 'Bucket inventory (PutBucketInventory and siblings)',
  worm: 'Retention policies (InitiateBucketWorm and siblings)',
  wormId: 'Retention policies (CompleteBucketWorm, ExtendBucketWorm)',
  wormExtend: 'Retention policies (ExtendBucketWorm)',
  replication: 'Cross-region replication (PutBucketReplication and siblings)',
  replicationLocation: 'Cross-region replication (GetBucketReplicationLocation)',
  replicationProgress: 'Cross-region replication (GetBucketReplicationProgress)',
  rtc: 'Replication time control (PutBucketRTC)',
  transferAcceleration: 'Transfer acceleration (PutBucketTransferAcceleration and siblings)',
  requestPayment: 'Pay-by-requester (PutBucketRequestPayment, GetBucketRequestPayment)',
  qos: 'Bandwidth throttling (qos)',
  qosInfo: 'Bandwidth throttling (GetBucketQoSInfo)',
  resourceGroup: 'Resource groups (PutBucketResourceGroup, GetBucketResourceGroup)',
  style: 'Image styles (PutStyle, GetStyle, ListStyle, DeleteStyle)',
  cname: 'Custom domain names (PutCname and siblings)',
  regionList: 'DescribeRegions',
  accessPoint: 'Access points (CreateAccessPoint and siblings)',
  publicAccessBlock: 'Block public access (PutBucketPublicAccessBlock and siblings)',
  policyStatus: 'GetBucketPolicyStatus',
  httpsConfig: 'TLS version settings (PutBucketHttpsConfig, GetBucketHttpsConfig)',
  redundancyTransition: 'Redundancy type conversion (CreateBucketDataRedundancyTransition and siblings)',
  dataAccessMonitor: 'Access tracking (PutBucketAccessMonitor, GetBucketAccessMonitor)',
  accessMonitor: 'Access tracking (PutBucketAccessMonitor, GetBucketAccessMonitor)',
  metaQuery: 'Data indexing (OpenMetaQuery, DoMetaQuery and siblings)',
  userDefinedLogFieldsConfig: 'Custom log fields (PutUserDefinedLogFieldsConfig and siblings)',
  responseHeader: 'Response header rules (PutBucketResponseHeader and siblings)',
  overwriteConfig: 'Overwrite protection rules (PutBucketOverwriteConfig and siblings)',
  archiveDirectRead: 'Real-time access of Archive objects (PutBucketArchiveDirectRead, GetBucketArchiveDirectRead)',
  asyncFetch: 'Asynchronous fetch (PutAsyncFetchTask, GetAsyncFetchTask)',
  live: 'LiveChannel (PutLiveChannel and siblings)',
  vod: 'LiveChannel playlists (PostVodPlaylist, GetVodPlaylist)',
  comp: 'LiveChannel statistics and history (comp)',
  'x-oss-async-process': 'Asynchronous processing (x-oss-async-process)',
  img: 'Image processing styles (img)',
  udf: 'User-defined functions (udf)',
  cleanRestoredObject: 'CleanRestoredObject',
  callback: 'Upload callback (callback)',
  'callback-var': 'Upload callback (callback-var)',
  sequential: 'Sequential multipart upload (sequential)',
  notification: 'Bucket event notification configuration (event notifications come from the local cloud\'s s.yaml triggers)',
  objectInfo: 'objectInfo',
  seal: 'SealAppendObject',
};

/** Emulated sub-resources, in the order one is chosen when a request names several. */
const EMULATED = ['uploadId', 'uploads', 'append', 'symlink', 'restore', 'acl', 'tagging', 'objectMeta', 'x-oss-process', 'delete', 'bucketInfo', 'location', 'stat', 'cors', 'referer', 'website', 'lifecycle', 'versioning', 'versions', 'encryption', 'policy'];

/** Every sub-resource name the table knows, emulated or refused: what the table-driven test walks through. */
export const KNOWN_SUBRESOURCES = [...EMULATED, ...Object.keys(NOT_EMULATED_SUBRESOURCES)];

/** The sub-resource a request names ('' for none); refuses the ones not emulated. */
export function subResourceOf(params: Map<string, string>): string {
  for (const name of params.keys()) {
    const what = NOT_EMULATED_SUBRESOURCES[name];
    if (what) throw ossErrors.notImplemented(`${what} [?${name}]`);
  }
  return EMULATED.find((name) => params.has(name)) ?? '';
}

/**
 * Operations that take `?versionId=` (D156): GetObject, HeadObject, GetObjectMeta and DeleteObject read or remove that
 * version; GetObjectACL/PutObjectACL, Get/Put/DeleteObjectTagging, GetSymlink, RestoreObject and GET with
 * `x-oss-process` work on it. AppendObject answers its own error (OSS: InvalidArgument). Any other request naming a
 * version is refused by name rather than answered for the current object.
 */
const VERSIONED_OPERATIONS = new Set([
  'object::GET', 'object::HEAD', 'object::DELETE', 'object:objectMeta:GET', 'object:objectMeta:HEAD', 'object:append:POST',
  'object:acl:GET', 'object:acl:PUT', 'object:tagging:GET', 'object:tagging:PUT', 'object:tagging:DELETE',
  'object:symlink:GET', 'object:restore:POST', 'object:x-oss-process:GET',
]);

const VERSIONED_NAMES: Record<string, string> = {
  symlink: 'PutSymlink with versionId (a symlink write makes a new version; OSS takes no versionId on it)',
  'x-oss-process': 'ProcessObject (POST x-oss-process, sys/saveas) of a version',
};

export function checkVersionIdUse(level: Exclude<Level, 'service'>, method: string, sub: string, params: Map<string, string>): void {
  if (!params.has('versionId') || VERSIONED_OPERATIONS.has(`${level}:${sub}:${method}`)) return;
  const what = VERSIONED_NAMES[sub] ?? `${method} ${level === 'bucket' ? 'on a bucket' : 'of an object'}${sub ? ` ?${sub}` : ''} with versionId`;
  throw ossErrors.notImplemented(`${what} [?versionId]`);
}

/** The route for a request, or the OSS error that says why there is none. */
export function routeFor(level: Exclude<Level, 'service'>, method: string, sub: string): Route {
  const table = level === 'bucket' ? BUCKET_ROUTES : OBJECT_ROUTES;
  const methods = table[sub];
  if (!methods) {
    const other = level === 'bucket' ? 'an object' : 'a bucket';
    throw ossErrors.invalidArgument(`?${sub} is a sub-resource of ${other}, not of ${level === 'bucket' ? 'a bucket' : 'an object'}.`, sub, '');
  }
  const route = methods[method];
  if (!route) throw ossErrors.methodNotAllowed(method);
  return route;
}
