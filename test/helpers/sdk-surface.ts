/**
 * The whole public surface of the four official clients the project uses, each method in one class (D155):
 * - `emulated`: a call with valid arguments does what the cloud does (its rows check the answer's shape);
 * - `refused`: the service's own error shape naming what the local cloud does not emulate — never a success;
 * - `stub`: the SDK method is an empty function that sends nothing (the operation is reached by a signed request);
 * - `local`: sends nothing of its own (signing, transport, options) — every other call exercises it.
 * `test/contract/sdk-surface.test.ts` enumerates each installed client, fails on a method this table does not
 * name (a newer SDK), calls every method through one local cloud and checks the class it observes.
 */
import { EMULATED as TS_EMULATED, INTERNALS as TS_INTERNALS, JSON_APIS as TS_JSON_APIS, REFUSED as TS_REFUSED } from './tablestore-sdk-methods';

export type SurfaceClass = 'emulated' | 'refused' | 'stub' | 'local';
export type Sdk = 'ali-oss' | 'tablestore' | '@alicloud/mns' | '@alicloud/fnf-2019-03-15';

const classed = (cls: SurfaceClass, names: string[]) => Object.fromEntries(names.map((n) => [n, cls] as const));

/** ali-oss 6.23, `new OSS(...)`'s prototype chain (names starting with `_` are internals). */
const ALI_OSS: Record<string, SurfaceClass> = {
  ...classed('emulated', [
    // objects
    'put', 'putStream', 'append', 'get', 'getStream', 'head', 'getObjectMeta', 'delete', 'deleteMulti', 'copy', 'putMeta',
    'list', 'listV2', 'putACL', 'getACL', 'restore', 'putSymlink', 'getSymlink', 'putObjectTagging', 'getObjectTagging',
    'deleteObjectTagging', 'processObjectSave',
    // URLs and forms signed for others (checked by using them)
    'signatureUrl', 'asyncSignatureUrl', 'signatureUrlV4', 'getObjectUrl', 'generateObjectUrl', 'calculatePostSignature', 'signPostObjectPolicyV4',
    // multipart
    'multipartUpload', 'multipartUploadCopy', 'initMultipartUpload', 'uploadPart', 'uploadPartCopy', 'completeMultipartUpload', 'listParts',
    'listUploads', 'abortMultipartUpload',
    // buckets
    'listBuckets', 'putBucket', 'deleteBucket', 'getBucketInfo', 'getBucketLocation', 'getBucketStat', 'putBucketACL', 'getBucketACL',
    'putBucketWebsite', 'getBucketWebsite', 'deleteBucketWebsite', 'putBucketReferer', 'getBucketReferer', 'deleteBucketReferer',
    'putBucketLifecycle', 'getBucketLifecycle', 'deleteBucketLifecycle', 'putBucketCORS', 'getBucketCORS', 'deleteBucketCORS',
    'putBucketPolicy', 'getBucketPolicy', 'deleteBucketPolicy', 'putBucketEncryption', 'getBucketEncryption', 'deleteBucketEncryption',
    'putBucketTags', 'getBucketTags', 'deleteBucketTags', 'getBucketVersioning', 'putBucketVersioning', 'getBucketVersions', 'listObjectVersions',
  ]),
  ...classed('refused', [
    'putChannel', 'getChannel', 'deleteChannel', 'putChannelStatus', 'getChannelStatus', 'listChannels', 'getChannelHistory', 'createVod',
    'putBucketLogging', 'getBucketLogging', 'deleteBucketLogging', 'putBucketRequestPayment', 'getBucketRequestPayment',
    'putBucketInventory', 'getBucketInventory', 'deleteBucketInventory', 'listBucketInventory',
    'initiateBucketWorm', 'abortBucketWorm', 'completeBucketWorm', 'extendBucketWorm', 'getBucketWorm', 'postAsyncFetch', 'getAsyncFetch',
  ]),
  ...classed('local', [
    'authorization', 'authorizationV4', 'signature', 'cancel', 'isCancel', 'resetCancelFlag', 'checkBrowserAndVersion', 'parseXML',
    'getBucket', 'useBucket', 'setBucket', 'setSLDEnabled', 'getRtmpUrl', 'request', 'requestError',
  ]),
};

/** tablestore 5.6.5, `TableStore.Client.prototype` (D95's classification, shared with its in-depth test). */
const TABLESTORE: Record<string, SurfaceClass> = {
  ...classed('emulated', TS_EMULATED),
  ...classed('refused', [...TS_REFUSED.map(([m]) => m), ...TS_JSON_APIS.map(([m]) => m)]),
  ...classed('local', [...TS_INTERNALS].filter((m) => m !== 'constructor')),
};

/** @alicloud/mns 1.2.0, `MNS.prototype` (names starting with `_` are internals). */
const MNS: Record<string, SurfaceClass> = {
  ...classed('emulated', [
    'createQueue', 'deleteQueue', 'listQueue', 'getQueueAttributes', 'setQueueAttributes', 'sendMessage', 'batchSendMessage', 'receiveMessage',
    'batchReceiveMessage', 'peekMessage', 'batchPeekMessage', 'deleteMessage', 'batchDeleteMessage', 'changeMessageVisibility',
    'createTopic', 'listTopic', 'getTopicAttributes', 'setTopicAttributes', 'publishMessage',
  ]),
  ...classed('stub', ['deleteTopic', 'subscribe', 'unsubscribe', 'listSubscriptionByTopic', 'getSubscriptionAttributes', 'setSubscriptionAttributes', 'httpEndpoint']),
  ...classed('local', ['request', 'get', 'put', 'post', 'delete', 'sign', 'buildHeaders', 'refreshSTS']),
};

/** @alicloud/fnf-2019-03-15 1.2.0, a pop-core RPC client: one method per action (it has no `*WithOptions`). */
const FNF: Record<string, SurfaceClass> = {
  ...classed('emulated', [
    'createFlow', 'describeFlow', 'updateFlow', 'deleteFlow', 'listFlows', 'startExecution', 'describeExecution', 'stopExecution',
    'listExecutions', 'getExecutionHistory', 'reportTaskSucceeded', 'reportTaskFailed',
  ]),
  ...classed('refused', ['createSchedule', 'describeSchedule', 'listSchedules', 'updateSchedule', 'deleteSchedule']),
  ...classed('local', ['request', '_buildParams']),
};

export const SURFACE: Record<Sdk, Record<string, SurfaceClass>> = {
  'ali-oss': ALI_OSS,
  tablestore: TABLESTORE,
  '@alicloud/mns': MNS,
  '@alicloud/fnf-2019-03-15': FNF,
};

/** Every function-valued name on an instance's prototype chain, as a user sees it in their editor. */
export function publicMethods(instance: object, options: { underscored?: boolean } = {}): string[] {
  const names = new Set<string>();
  for (let proto = Object.getPrototypeOf(instance) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || (!options.underscored && name.startsWith('_'))) continue;
      if (typeof (instance as Record<string, unknown>)[name] === 'function') names.add(name);
    }
  }
  return [...names].sort();
}

/** What one call was seen to do: the operation's result, the service's refusal, or something wrong (class c). */
export type Observed = 'ok' | 'refusal';

/**
 * A method's class from what its rows were seen to do: `emulated` when at least one call did the operation
 * (other rows may be the service's answers to bad input), `refused` when every call was a refusal.
 */
export function classOf(observed: Observed[]): SurfaceClass | undefined {
  if (observed.length === 0) return undefined;
  return observed.includes('ok') ? 'emulated' : 'refused';
}

/** Counts per class, for docs/decisions.md and a line in the test output. */
export function counts(table: Record<string, SurfaceClass>): Record<SurfaceClass, number> {
  const out: Record<SurfaceClass, number> = { emulated: 0, refused: 0, stub: 0, local: 0 };
  for (const cls of Object.values(table)) out[cls] += 1;
  return out;
}
