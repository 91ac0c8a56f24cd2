/**
 * Every public method of the installed ali-oss, as a user's existing code calls it, against the local OSS: with
 * the client's defaults (`new OSS({region, accessKeyId, accessKeySecret, endpoint, bucket})`: signature V1 and
 * virtual-hosted `<bucket>.localhost` addressing), with `authorizationV4: true`, and path-style (`sldEnable`, what
 * a script outside the local cloud uses). Each row either does what OSS does or gets OSS's XML error naming the
 * feature — never a wrong success, a hang or a 500. A method ali-oss adds later fails the completeness check.
 */
import { randomUUID } from 'node:crypto';
import OSS from 'ali-oss';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { resolveLocalhostNames } from '../../scripts/local/runtime/localhost-names';
import { LOCAL_ONLY_METHODS, METHOD_ROWS, type MethodEnv, type MethodRow } from '../helpers/ali-oss-methods';
import { photoLikeJpeg } from '../helpers/image-fixtures';
import { rowOutcome } from '../helpers/row-outcome';
import { ossClient, REGION, startTestOss, uniqueBucket, type LooseOss, type TestOss } from '../helpers/oss';

let oss: TestOss;
let photo: Buffer;

beforeAll(async () => {
  // What the local cloud does in every instance (RFC 6761): `<bucket>.localhost` is this machine.
  resolveLocalhostNames();
  oss = await startTestOss();
  photo = await photoLikeJpeg(120, 80, 80);
});
afterAll(() => oss.stop());

interface Mode {
  v4: boolean;
  pathStyle: boolean;
}

/** ali-oss with its defaults plus the endpoint (and the local account's STS credentials); see `ossClient`. */
function client(mode: Mode, bucket: string): LooseOss {
  return ossClient(oss.emulator, { bucket, v4: mode.v4, virtualHosted: !mode.pathStyle });
}

/** The row's outcome: its result, or the error it threw (a timeout is an error too). */
const outcome = (row: MethodRow, env: MethodEnv) => rowOutcome<{ status?: number; code?: string; message: string; name?: string }>(row.method, () => row.call(env));

describe.each([
  ['V1, virtual-hosted (ali-oss defaults)', { v4: false, pathStyle: false }],
  ['V4, virtual-hosted (authorizationV4: true)', { v4: true, pathStyle: false }],
  ['V1, path-style (sldEnable)', { v4: false, pathStyle: true }],
  ['V4, path-style (sldEnable)', { v4: true, pathStyle: true }],
])('ali-oss %s', (_name, mode) => {
  const bucket = uniqueBucket('m');
  const otherBucket = uniqueBucket('o');
  let env: MethodEnv;
  /** Each row writes under its own key prefix. */
  let rowSeq = 0;

  beforeAll(async () => {
    const c = client(mode, bucket);
    await c.putBucket(bucket);
    await c.putBucket(otherBucket);
    env = {
      client: c,
      otherClient: client(mode, otherBucket),
      bucket,
      otherBucket,
      key: (name) => `row${rowSeq}/${name}`,
      object: async (name, body = 'x', options = {}) => {
        const key = `row${rowSeq}/${name}`;
        await c.put(key, Buffer.isBuffer(body) ? body : Buffer.from(body), options);
        return key;
      },
      photo,
      endpoint: oss.emulator.endpoint,
      v4: mode.v4,
    };
  });

  it.each(METHOD_ROWS.map((row) => [row.method, row] as const))('%s', async (_method, row) => {
    rowSeq += 1;
    const { result, error } = await outcome(row, env);
    const expected = row.expected;
    if (expected.kind === 'ok') {
      if (error) throw new Error(`${row.method} failed: ${error.status ?? ''} ${error.code ?? ''} ${error.message}`);
      await expected.check?.(result, env);
      return;
    }
    expect(error).toBeDefined();
    expect({ status: error?.status, code: error?.code }).toEqual({ status: expected.status, code: expected.code });
    expect(error?.message).toMatch(expected.names);
    expect((error as { requestId?: string }).requestId).toMatch(/^[0-9A-F]{24}$/);
  });
});

describe('after every row', () => {
  it('left no internal error (a 500) in the emulator', () => {
    expect(oss.internalErrors).toEqual([]);
  });
});

describe('the table covers ali-oss', () => {
  it('has a row (or a reason it sends nothing) for every public method of the installed client', () => {
    const c = client({ v4: false, pathStyle: true }, uniqueBucket('c'));
    const methods = new Set<string>();
    for (let proto = Object.getPrototypeOf(c); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
      for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor' && !name.startsWith('_') && typeof c[name] === 'function') methods.add(name);
    }
    const covered = new Set([...METHOD_ROWS.map((row) => row.method.split(' ')[0] ?? row.method), ...Object.keys(LOCAL_ONLY_METHODS)]);
    expect([...methods].filter((m) => !covered.has(m)).sort()).toEqual([]);
    expect([...covered].filter((m) => !methods.has(m)).sort()).toEqual([]);
  });
});

describe('the other clients ali-oss exports', () => {
  const bucket = uniqueBucket('x');
  beforeAll(() => client({ v4: false, pathStyle: true }, bucket).putBucket(bucket));

  it('ClusterClient writes to every node and reads from one', async () => {
    const node = { endpoint: oss.emulator.endpoint, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken, bucket, region: `oss-${REGION}`, sldEnable: true };
    const cluster: LooseOss = new (OSS as LooseOss).ClusterClient({ cluster: [node, { ...node }], ignoreStatusFile: true, heartbeatInterval: 60_000 });
    try {
      await cluster.ready();
      const key = `cluster-${randomUUID()}.txt`;
      await cluster.put(key, Buffer.from('both'));
      expect((await cluster.get(key)).content.toString()).toBe('both');
      expect((await cluster.head(key)).status).toBe(200);
    } finally {
      cluster.close();
    }
  });

  it('ImageClient reads objects; its legacy image-service suffixes are ordinary (missing) keys on an OSS endpoint', async () => {
    const image: LooseOss = new (OSS as LooseOss).ImageClient({ imageHost: oss.emulator.endpoint, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken, bucket, region: `oss-${REGION}`, sldEnable: true });
    await client({ v4: false, pathStyle: true }, bucket).put('photo.jpg', photo);
    expect(Buffer.compare((await image.get('photo.jpg')).content, photo)).toBe(0);
    await expect(image.getExif('photo.jpg')).rejects.toMatchObject({ status: 404, code: 'NoSuchKey' });
  });
});
