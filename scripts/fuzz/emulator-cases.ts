import { createHash, createHmac, randomUUID } from 'node:crypto';
import { encodePortPutRow } from '../../functions/_shared/aliyun/tablestore-plain-buffer';
import { rpcStringToSign } from '../local/emulators/fnf/rpc-signature';
import { buildV1StringToSign, signV1 } from '../local/emulators/oss/signature-v1';
import { stringToSign as tablestoreStringToSign } from '../local/emulators/tablestore/signature';
import { protos } from '../local/emulators/tablestore/sdk';
import type { RawRequest, Shape } from './oracle';
import type { Random } from './random';
import { hostileString, RawJson } from './values';

/**
 * Malformed requests to the emulators' own APIs, each signed correctly so it gets past authentication and reaches
 * the code that reads it: OSS (signature V1 over XML bodies, headers and sub-resources), TableStore (protobuf with
 * corrupted fields and PlainBuffer rows), MNS (XML bodies and query parameters), CloudFlow (RPC parameters).
 * The signatures reuse the emulators' string-to-sign builders: what is fuzzed is what comes after them.
 */
export interface EmulatorWorld {
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  oss: string;
  bucket: string;
  tablestore: string;
  instance: string;
  /** A table the fuzzer created (STRING key `id`). */
  table: string;
  mns: string;
  /** A queue the fuzzer created. */
  queue: string;
  fnf: string;
  flow: string;
}

export interface EmulatorCase {
  target: string;
  variant: string;
  base: string;
  request: RawRequest;
  shape: Shape;
  mustRefuse: boolean;
  watch: string[];
}

// ---------------------------------------------------------------------------------------------------------- OSS

function signOss(world: EmulatorWorld, method: string, key: string | undefined, query: [string, string][], headers: Record<string, string>): Record<string, string> {
  const date = new Date().toUTCString();
  const all: Record<string, string> = { ...headers, date, 'x-oss-security-token': world.credentials.securityToken };
  const toSign = buildV1StringToSign({ method, bucket: world.bucket, key, query, headers: all, date });
  return { ...all, authorization: `OSS ${world.credentials.accessKeyId}:${signV1(world.credentials.accessKeySecret, toSign)}` };
}

function ossCase(rng: Random, world: EmulatorWorld): EmulatorCase {
  const key = `fuzz/${rng.word(8)}`;
  const xml = rng.pick(['<Delete><Object><Key>a</Key>', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Delete><Object><Key>&e;</Key></Object></Delete>', '', 'not xml', `<Tagging><TagSet>${'<Tag><Key>k</Key><Value>v</Value></Tag>'.repeat(60)}</TagSet></Tagging>`, '<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>NOPE</AllowedMethod></CORSRule></CORSConfiguration>']);
  const cases: [string, () => { method: string; key?: string; query: [string, string][]; headers: Record<string, string>; body?: string; mustRefuse: boolean }][] = [
    ['PutObject wrong Content-MD5', () => ({ method: 'PUT', key, query: [], headers: { 'content-md5': createHash('md5').update('other').digest('base64') }, body: 'data', mustRefuse: true })],
    ['PutObject bad object ACL', () => ({ method: 'PUT', key, query: [], headers: { 'x-oss-object-acl': rng.pick(['bogus', 'PUBLIC', '']) || 'x' }, body: 'data', mustRefuse: true })],
    ['PutObject bad storage class', () => ({ method: 'PUT', key, query: [], headers: { 'x-oss-storage-class': 'Glacier9' }, body: 'data', mustRefuse: true })],
    ['PutObject bad tagging header', () => ({ method: 'PUT', key, query: [], headers: { 'x-oss-tagging': rng.pick(['%%%', `${'k'.repeat(200)}=v`, 'k=%ZZ']) }, body: 'data', mustRefuse: true })],
    ['PutObject hostile key', () => ({ method: 'PUT', key: rng.pick([`fuzz/${'k'.repeat(1100)}`, 'fuzz/../../../etc/passwd', 'fuzz/\u0000nul', '/fuzz/leading', 'fuzz/\\back']), query: [], headers: {}, body: 'data', mustRefuse: false })],
    ['CopyObject bad source', () => ({ method: 'PUT', key, query: [], headers: { 'x-oss-copy-source': rng.pick(['/../../etc/passwd', `/${world.bucket}/no-such-${rng.word(6)}`, 'no-slash', '/other-bucket/x', '%ZZ']) }, mustRefuse: true })],
    ['GetObject bad range', () => ({ method: 'GET', key: 'fuzz/none', query: [], headers: { range: rng.pick(['bytes=garbage', 'bytes=9-1', 'bytes=-', 'items=0-1']) }, mustRefuse: true })],
    ['ListObjects bad max-keys', () => ({ method: 'GET', query: [['max-keys', rng.pick(['-1', 'abc', '1e3', '99999999999999999999'])], ['prefix', 'fuzz/']], headers: {}, mustRefuse: true })],
    ['ListObjectsV2 bad token', () => ({ method: 'GET', query: [['list-type', '2'], ['continuation-token', rng.pick(['garbage', '%%', 'x'.repeat(5000)])]], headers: {}, mustRefuse: true })],
    ['DeleteMultipleObjects bad XML', () => ({ method: 'POST', query: [['delete', '']], headers: { 'content-md5': createHash('md5').update(xml).digest('base64'), 'content-type': 'application/xml' }, body: xml, mustRefuse: true })],
    ['PutBucketCors bad XML', () => ({ method: 'PUT', query: [['cors', '']], headers: { 'content-type': 'application/xml' }, body: xml, mustRefuse: true })],
    ['PutObjectTagging bad XML', () => ({ method: 'PUT', key: 'fuzz/none', query: [['tagging', '']], headers: { 'content-type': 'application/xml' }, body: xml, mustRefuse: true })],
    ['UploadPart bad upload id', () => ({ method: 'PUT', key, query: [['partNumber', rng.pick(['0', '10001', 'x', '1'])], ['uploadId', rng.pick(['garbage', '../x', ''])]], headers: {}, body: 'part', mustRefuse: true })],
    ['GetObject bad process', () => ({ method: 'GET', key: 'fuzz/none', query: [['x-oss-process', rng.pick(['image/resize,w_-1', 'image/resize,w_999999999', 'video/snapshot', 'image/', 'image/crop,x_a'])]], headers: {}, mustRefuse: true })],
    ['PutObject huge metadata', () => ({ method: 'PUT', key, query: [], headers: { 'x-oss-meta-big': 'm'.repeat(rng.pick([9_000, 12_000])) }, body: 'data', mustRefuse: true })],
    ['PutObject bad append position', () => ({ method: 'POST', key, query: [['append', ''], ['position', rng.pick(['-1', 'x', '99999999999999999999', '5'])]], headers: {}, body: 'data', mustRefuse: true })],
  ];
  const [variant, make] = rng.pick(cases);
  const c = make();
  const headers = signOss(world, c.method, c.key, c.query, c.headers);
  const query = c.query.length ? `?${c.query.map(([k, v]) => (v === '' && !['max-keys', 'uploadId'].includes(k) ? k : `${k}=${encodeURIComponent(v)}`)).join('&')}` : '';
  const path = `/${world.bucket}/${c.key === undefined ? '' : c.key.split('/').map(encodeURIComponent).join('/')}${query}`;
  return { target: 'OSS', variant, base: world.oss, request: { method: c.method, path, headers, ...(c.body !== undefined ? { body: Buffer.from(c.body) } : {}) }, shape: 'oss', mustRefuse: c.mustRefuse, watch: ['oss'] };
}

// ----------------------------------------------------------------------------------------------------- TableStore

export function signTableStore(world: EmulatorWorld, operation: string, body: Uint8Array): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ots-apiversion': '2015-12-31',
    'x-ots-instancename': world.instance,
    'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
    'x-ots-date': new Date().toISOString(),
    'x-ots-accesskeyid': world.credentials.accessKeyId,
    'x-ots-ststoken': world.credentials.securityToken,
  };
  headers['x-ots-signature'] = createHmac('sha1', world.credentials.accessKeySecret).update(tablestoreStringToSign(`/${operation}`, headers)).digest('base64');
  return headers;
}

function corrupt(rng: Random, bytes: Uint8Array): { bytes: Uint8Array; label: string } {
  const out = Buffer.from(bytes);
  switch (rng.int(0, 4)) {
    case 0:
      return { bytes: out.subarray(0, rng.int(0, Math.max(0, out.length - 1))), label: 'truncated' };
    case 1: {
      const at = rng.int(0, out.length - 1);
      out[at] = out[at]! ^ (1 << rng.int(0, 7));
      return { bytes: out, label: `bit flipped at ${at}` };
    }
    case 2:
      return { bytes: Buffer.concat([out, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])]), label: 'trailing varint' };
    case 3: {
      const random = Buffer.alloc(rng.int(1, 64));
      for (let i = 0; i < random.length; i++) random[i] = rng.int(0, 255);
      return { bytes: random, label: 'random bytes' };
    }
    default:
      return { bytes: Buffer.concat([out.subarray(0, 2), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x07]), out.subarray(2)]), label: 'huge length prefix' };
  }
}

function tablestoreCase(rng: Random, world: EmulatorWorld): EmulatorCase {
  const M = protos.main;
  const id = `fuzz-${rng.word(8)}`;
  const row = encodePortPutRow([{ name: 'id' }], { id }, { v: 'value', n: 7 })!;
  // A primary key alone (GetRow, GetRange): every byte of it is read, so any corruption must be refused.
  const key = encodePortPutRow([{ name: 'id' }], { id }, {})!;
  let how = '';
  // A flipped bit may land where neither the reader nor a checksum looks: PlainBuffer's outer length of a cell value
  // is skipped by the SDKs' own readers (the inner one is used), and by the emulator's. Such a case may succeed.
  let mayPass = false;
  const broken = (bytes: Uint8Array) => {
    const c = corrupt(rng, bytes);
    how = ` (${c.label})`;
    mayPass = c.label.startsWith('bit flipped');
    return c.bytes;
  };
  const putRow = (rowBytes: Uint8Array, tableName = world.table) => M.PutRowRequest!.encode({ tableName, row: rowBytes, condition: { rowExistence: 0 }, returnContent: { returnType: 0 } }).finish();
  const { text: hostile } = hostileString(rng);
  const hostileName = hostile instanceof RawJson ? 'name\ud800' : String(hostile);
  const cases: [string, string, () => Uint8Array, boolean][] = [
    ['PutRow corrupted row', 'PutRow', () => putRow(broken(row)), true],
    ['PutRow corrupted message', 'PutRow', () => broken(putRow(row)), true],
    ['PutRow hostile table name', 'PutRow', () => putRow(row, hostileName), true],
    ['PutRow no row', 'PutRow', () => M.PutRowRequest!.encode({ tableName: world.table, row: new Uint8Array(), condition: { rowExistence: 0 } }).finish(), true],
    ['GetRow corrupted key', 'GetRow', () => M.GetRowRequest!.encode({ tableName: world.table, primaryKey: broken(key), maxVersions: 1 }).finish(), true],
    ['GetRow bad versions', 'GetRow', () => M.GetRowRequest!.encode({ tableName: world.table, primaryKey: key, maxVersions: rng.pick([0, -1]) }).finish(), true],
    ['GetRange corrupted bounds', 'GetRange', () => M.GetRangeRequest!.encode({ tableName: world.table, direction: rng.pick([0, 1, 7]), maxVersions: 1, limit: rng.pick([-1, 0, 5001]), inclusiveStartPrimaryKey: broken(key), exclusiveEndPrimaryKey: key }).finish(), true],
    ['CreateTable hostile meta', 'CreateTable', () => M.CreateTableRequest!.encode({ tableMeta: { tableName: rng.pick([hostileName, '', 'x'.repeat(300), '1starts-with-digit']), primaryKey: rng.pick([[], [{ name: 'id', type: 9 }], Array.from({ length: 5 }, (_, i) => ({ name: `k${i}`, type: 2 }))]) }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: rng.pick([-2, 0, -1]), maxVersions: rng.pick([0, -1, 1]) } }).finish(), true],
    ['DescribeTable hostile name', 'DescribeTable', () => M.DescribeTableRequest!.encode({ tableName: hostileName }).finish(), true],
    ['BatchWriteRow corrupted rows', 'BatchWriteRow', () => M.BatchWriteRowRequest!.encode({ tables: [{ tableName: world.table, rows: [{ type: rng.pick([1, 9]), rowChange: broken(row), condition: { rowExistence: 0 } }] }] }).finish(), true],
    ['unknown operation', rng.pick(['NoSuchOp', '..%2FPutRow', 'PutRow%00']), () => putRow(row), true],
    ['empty body', rng.pick(['PutRow', 'GetRange', 'CreateTable', 'UpdateRow', 'DeleteRow']), () => new Uint8Array(), true],
  ];
  const [variant, operation, make, mustRefuse] = rng.pick(cases);
  const body = make();
  return {
    target: 'TableStore',
    variant: `${variant}${how}`,
    base: world.tablestore,
    request: { method: 'POST', path: `/${operation}`, headers: signTableStore(world, operation, body), body: Buffer.from(body) },
    shape: 'tablestore',
    mustRefuse: mustRefuse && !mayPass,
    watch: [`table:${world.table}`],
  };
}

// ----------------------------------------------------------------------------------------------------------- MNS

export function signMns(world: EmulatorWorld, method: string, resource: string, body: string): Record<string, string> {
  const date = new Date().toUTCString();
  const headers: Record<string, string> = { date, 'x-mns-version': '2015-06-06', 'security-token': world.credentials.securityToken };
  if (body) headers['content-type'] = 'text/xml;charset=utf-8';
  const toSign = `${method}\n\n${headers['content-type'] ?? ''}\n${date}\nx-mns-version:2015-06-06\n${resource}`;
  headers.authorization = `MNS ${world.credentials.accessKeyId}:${createHmac('sha1', world.credentials.accessKeySecret).update(toSign).digest('base64')}`;
  return headers;
}

const MNS_NS = 'xmlns="http://mns.aliyuncs.com/doc/v1/"';

function mnsCase(rng: Random, world: EmulatorWorld): EmulatorCase {
  const q = `/queues/${world.queue}`;
  const bodies = [
    `<?xml version="1.0" encoding="UTF-8"?><Message ${MNS_NS}><MessageBody>unclosed`,
    `<?xml version="1.0" encoding="UTF-8"?><Message ${MNS_NS}><MessageBody>a &unknown; b</MessageBody></Message>`,
    `<?xml version="1.0" encoding="UTF-8"?><Message ${MNS_NS}><MessageBody>x</MessageBody><DelaySeconds>${rng.pick(['-1', 'abc', '604801', '1e3'])}</DelaySeconds></Message>`,
    `<?xml version="1.0" encoding="UTF-8"?><Message ${MNS_NS}><MessageBody>x</MessageBody><Priority>${rng.pick(['0', '17', 'high'])}</Priority></Message>`,
    `<?xml version="1.0" encoding="UTF-8"?><Message ${MNS_NS}><MessageBody></MessageBody></Message>`,
    `<?xml version="1.0" encoding="UTF-8"?><Message ${MNS_NS}><MessageBody>${'b'.repeat(65_537)}</MessageBody></Message>`,
    `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x "${'y'.repeat(100)}"><!ENTITY z "&x;&x;&x;&x;&x;&x;&x;&x;">]><Message ${MNS_NS}><MessageBody>&z;</MessageBody></Message>`,
    `<Message ${MNS_NS}><MessageBody>a\u0001b</MessageBody></Message>`,
    '{"MessageBody":"json, not xml"}',
    `<Message ${MNS_NS}>${'<a>'.repeat(20_000)}</Message>`,
  ];
  const cases: [string, () => { method: string; resource: string; body: string; mustRefuse: boolean }][] = [
    ['SendMessage bad XML', () => ({ method: 'POST', resource: `${q}/messages`, body: rng.pick(bodies), mustRefuse: true })],
    ['BatchSendMessage bad XML', () => ({ method: 'POST', resource: `${q}/messages`, body: `<Messages ${MNS_NS}>${rng.pick([`<Message><MessageBody>x</MessageBody></Message>`.repeat(17), '<Message></Message>', '<Message><MessageBody>x</MessageBody>'])}</Messages>`, mustRefuse: true })],
    ['ReceiveMessage bad parameters', () => ({ method: 'GET', resource: `${q}/messages?${rng.pick(['waitseconds=31', 'waitseconds=abc', 'numOfMessages=0', 'numOfMessages=17', 'numOfMessages=-1'])}`, body: '', mustRefuse: true })],
    ['DeleteMessage bad handle', () => ({ method: 'DELETE', resource: `${q}/messages?ReceiptHandle=${encodeURIComponent(rng.pick(['garbage', '', '../../x', 'x'.repeat(3000)]))}`, body: '', mustRefuse: true })],
    ['ChangeVisibility bad values', () => ({ method: 'PUT', resource: `${q}/messages?ReceiptHandle=garbage&VisibilityTimeout=${rng.pick(['-1', '43201', 'x'])}`, body: '', mustRefuse: true })],
    ['SetQueueAttributes bad values', () => ({ method: 'PUT', resource: `${q}?metaoverride=true`, body: `<Queue ${MNS_NS}><${rng.pick(['VisibilityTimeout', 'DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'PollingWaitSeconds'])}>${rng.pick(['-1', 'abc', '99999999999'])}</${'x'}></Queue>`.replace(/<\/x>/, '</Bad>'), mustRefuse: true })],
    ['CreateQueue hostile name', () => ({ method: 'PUT', resource: `/queues/${rng.pick(['-bad', 'a'.repeat(300), '%00', 'q%2F..%2Fx', 'has%20space'])}`, body: `<Queue ${MNS_NS}/>`, mustRefuse: true })],
    ['PublishMessage bad XML', () => ({ method: 'POST', resource: '/topics/fcsuite-dev-order-events/messages', body: rng.pick(bodies), mustRefuse: true })],
  ];
  const [variant, make] = rng.pick(cases);
  const c = make();
  // The request line's resource carries its own escapes; the signature covers it as sent.
  return { target: 'MNS', variant, base: world.mns, request: { method: c.method, path: c.resource, headers: signMns(world, c.method, c.resource, c.body), ...(c.body ? { body: Buffer.from(c.body) } : {}) }, shape: 'mns', mustRefuse: c.mustRefuse, watch: [`queue:${world.queue}`] };
}

// ------------------------------------------------------------------------------------------------------ CloudFlow

function fnfCase(rng: Random, world: EmulatorWorld): EmulatorCase {
  const params: Record<string, string> = { Version: '2019-03-15', Format: 'JSON' };
  const cases: [string, () => Record<string, string>][] = [
    ['StartExecution bad input', () => ({ Action: 'StartExecution', FlowName: world.flow, ExecutionName: `fuzz-${rng.word(8)}`, Input: rng.pick(['{not json', '[1,2]', '"text"', '{"a":1,"a":', `{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`, 'x'.repeat(40_000)]) })],
    ['StartExecution bad name', () => ({ Action: 'StartExecution', FlowName: world.flow, ExecutionName: rng.pick(['has space', '-dash-first', 'x'.repeat(200), '名字', '../x']), Input: '{}' })],
    ['StartExecution unknown flow', () => ({ Action: 'StartExecution', FlowName: rng.pick(['no-such-flow', '', '../x']), Input: '{}' })],
    ['DescribeExecution bad names', () => ({ Action: 'DescribeExecution', FlowName: world.flow, ExecutionName: rng.pick(['', 'nope', '%ZZ']), WaitTimeSeconds: rng.pick(['-1', 'abc', '61']) })],
    ['ListExecutions bad paging', () => ({ Action: 'ListExecutions', FlowName: world.flow, Limit: rng.pick(['0', '-1', 'abc', '1001', '1e2']), NextToken: rng.pick(['garbage', '']) })],
    ['ReportTaskSucceeded bad token', () => ({ Action: 'ReportTaskSucceeded', TaskToken: rng.pick(['garbage', '', 'x'.repeat(5000)]), Output: rng.pick(['{', '{}']) })],
    ['ReportTaskFailed bad token', () => ({ Action: 'ReportTaskFailed', TaskToken: 'garbage', Error: 'E', Cause: '\u0000' })],
    ['unknown action', () => ({ Action: rng.pick(['DeleteEverything', '', 'startexecution']) })],
    ['wrong version', () => ({ Action: 'ListFlows', Version: rng.pick(['2020-01-01', 'x']) })],
  ];
  const [variant, make] = rng.pick(cases);
  Object.assign(params, make(), {
    AccessKeyId: world.credentials.accessKeyId,
    SecurityToken: world.credentials.securityToken,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  for (const k of Object.keys(params)) if (params[k] === '') delete params[k];
  const method = rng.chance(0.7) ? 'POST' : 'GET';
  params.Signature = createHmac('sha1', `${world.credentials.accessKeySecret}&`).update(rpcStringToSign(method, params)).digest('base64');
  const form = new URLSearchParams(params).toString();
  const request: RawRequest =
    method === 'GET' ? { method, path: `/?${form}`, headers: {} } : { method, path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(form) };
  const mustRefuse = !variant.startsWith('wrong version');
  return { target: 'CloudFlow', variant, base: world.fnf, request, shape: 'fnf', mustRefuse, watch: [`flow:${world.flow}`] };
}

export function emulatorCase(rng: Random, world: EmulatorWorld): EmulatorCase {
  return rng.pick([ossCase, tablestoreCase, mnsCase, fnfCase])(rng, world);
}
