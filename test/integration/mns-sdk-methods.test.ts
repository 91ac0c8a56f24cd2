/**
 * Every public method of the installed `@alicloud/mns`, as a user's existing code calls it, against the local
 * MNS: `new MNS(accountId, { endpoint, accessKeyId, accessKeySecret, securityToken })`, nothing else set. Each row
 * either does what MNS does or gets MNS's `<Error>` XML naming what is not emulated — never a wrong success, a
 * hang or a 500. Then the same service from curl, signed by hand as the MNS docs describe. A method the SDK adds
 * later fails the completeness check until it has a row.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import MNS from '@alicloud/mns';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startMnsEmulator, type MnsEmulator } from '../../scripts/local/emulators/mns';
import { errorCode, signedHeaders, type RawResponse } from '../helpers/mns-raw';
import { MNS_LOCAL_ONLY_METHODS, MNS_METHOD_ROWS, mnsMethodEnv, type MnsMethodEnv, type MnsMethodRow } from '../helpers/mns-sdk-methods';
import { rowOutcome } from '../helpers/row-outcome';
import { tempDir } from '../helpers/temp';

const REGION = 'cn-hangzhou';

interface RowError {
  name?: string;
  message: string;
  status?: number;
}

/** A raw request's `<Error>` answer, in the shape the SDK throws it (`MNS<Code>Error`, message with the details). */
function asError(res: RawResponse): RowError | undefined {
  if (res.status < 400 || !res.xml?.Error) return undefined;
  const e = (res.xml.Error as Record<string, string>[])[0]!;
  return { name: `MNS${e.Code}Error`, status: res.status, message: `failed with ${res.status}. requestid: ${e.RequestId}, hostid: ${e.HostId}, message: ${e.Message}` };
}

const isRaw = (value: unknown): value is RawResponse => typeof value === 'object' && value !== null && 'status' in value && 'headers' in value && 'text' in value;

describe('@alicloud/mns, every method, against the local MNS', () => {
  const dir = tempDir('mns-methods-');
  let mns: MnsEmulator;
  let env: MnsMethodEnv;
  const internalErrors: unknown[] = [];

  beforeAll(async () => {
    mns = await startMnsEmulator({ dataDir: join(dir.path, 'data'), region: REGION, port: 0, pushRetryScale: 0.001 });
    const sdk = new MNS(LOCAL_ACCOUNT_ID, { endpoint: mns.endpoint, ...LOCAL_CREDENTIALS });
    env = mnsMethodEnv({ sdk, endpoint: mns.endpoint, credentials: LOCAL_CREDENTIALS, region: REGION, accountId: LOCAL_ACCOUNT_ID, prefix: '' });
  });
  afterAll(async () => {
    await mns?.close();
    dir.cleanup();
  });

  /** The row's outcome: its result, or the error it threw or was answered (a timeout is an error too). */
  async function outcome(row: MnsMethodRow): Promise<{ result?: unknown; error?: RowError }> {
    const { result, error } = await rowOutcome<RowError>(row.method, () => row.call(env));
    const answered = isRaw(result) ? asError(result) : undefined;
    return answered ? { error: answered } : error ? { error } : { result };
  }

  it.each(MNS_METHOD_ROWS.map((row) => [row.method, row] as const))('%s', async (_method, row) => {
    const { result, error } = await outcome(row);
    if (error?.name === 'MNSInternalErrorError') internalErrors.push(error);
    const expected = row.expected;
    if (expected.kind === 'ok') {
      if (error) throw new Error(`${row.method} failed: ${error.name ?? ''} ${error.message}`);
      await expected.check?.(result, env);
      return;
    }
    expect(error).toBeDefined();
    expect(error?.name).toBe(`MNS${expected.code}Error`);
    expect(error?.message).toContain(`failed with ${expected.status}.`);
    expect(error?.message).toMatch(expected.names);
    expect(error?.message).toMatch(/requestid: [0-9A-F]{24}, hostid: \S+/);
  });

  it('left no internal error (a 500) in the emulator', () => {
    expect(internalErrors).toEqual([]);
  });

  it('has a row (or a reason it sends nothing) for every public method of the installed client', () => {
    const methods = Object.getOwnPropertyNames(MNS.prototype).filter((m) => m !== 'constructor' && !m.startsWith('_') && typeof (MNS.prototype as unknown as Record<string, unknown>)[m] === 'function');
    const covered = new Set([...MNS_METHOD_ROWS.map((row) => row.method.split(' ')[0]!), ...Object.keys(MNS_LOCAL_ONLY_METHODS)]);
    expect(methods.filter((m) => !covered.has(m)).sort()).toEqual([]);
    // Rows for MNS operations the SDK lacks start with the operation's capitalised name.
    expect([...covered].filter((m) => !methods.includes(m) && !/^[A-Z]/.test(m)).sort()).toEqual([]);
  });

  describe('from curl, signed by hand as the MNS docs describe', () => {
    const curl = async (method: string, resource: string, body: string, options: { signWith?: string } = {}) => {
      const headers = signedHeaders(LOCAL_CREDENTIALS, { method, resource, body, contentMd5: true, ...options });
      const args = ['-s', '-X', method, '-w', '\n%{http_code}', ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), ...(body ? ['--data-binary', body] : []), `${mns.endpoint}${resource}`];
      const { stdout } = await promisify(execFile)('curl', args);
      const cut = stdout.lastIndexOf('\n');
      return { status: Number(stdout.slice(cut + 1)), text: stdout.slice(0, cut) };
    };

    it('sends, receives and deletes a message', async () => {
      const queue = await env.queue('curl');
      const message = '<?xml version="1.0" encoding="UTF-8"?><Message xmlns="http://mns.aliyuncs.com/doc/v1/"><MessageBody>from curl &amp; co</MessageBody></Message>';
      const sent = await curl('POST', `/queues/${queue}/messages`, message);
      expect(sent.status).toBe(201);
      expect(sent.text).toMatch(/<MessageId>[^<]+<\/MessageId><MessageBodyMD5>[0-9A-F]{32}<\/MessageBodyMD5>/);
      const got = await curl('GET', `/queues/${queue}/messages?waitseconds=1`, '');
      expect(got.status).toBe(200);
      expect(got.text).toContain('<MessageBody>from curl &amp; co</MessageBody>');
      const handle = /<ReceiptHandle>([^<]+)<\/ReceiptHandle>/.exec(got.text)![1]!;
      expect((await curl('DELETE', `/queues/${queue}/messages?ReceiptHandle=${encodeURIComponent(handle)}`, '')).status).toBe(204);
      // The SDK sees the same queue empty.
      await expect(env.sdk.receiveMessage(queue)).rejects.toMatchObject({ name: 'MNSMessageNotExistError' });
    });

    it('is refused with SignatureDoesNotMatch when signed with another secret, storing nothing', async () => {
      const queue = await env.queue('curl-bad');
      const bad = await curl('POST', `/queues/${queue}/messages`, '<Message><MessageBody>x</MessageBody></Message>', { signWith: 'not-the-secret' });
      expect(bad.status).toBe(403);
      expect(bad.text).toMatch(/<Error xmlns="http:\/\/mns.aliyuncs.com\/doc\/v1\/"><Code>SignatureDoesNotMatch<\/Code><Message>[^<]+<\/Message><RequestId>[0-9A-F]{24}<\/RequestId><HostId>[^<]+<\/HostId><\/Error>/);
      expect((await env.sdk.getQueueAttributes(queue)).body.ActiveMessages).toBe('0');
    });
  });

  it('a raw error answer reads like the SDK error (the row runner relies on it)', async () => {
    const res = await env.raw({ method: 'GET', resource: `/queues/${env.name('nothing')}` });
    expect(errorCode(res)).toBe('QueueNotExist');
    expect(asError(res)?.name).toBe('MNSQueueNotExistError');
  });
});
