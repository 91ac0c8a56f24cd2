/**
 * PostObject form uploads on the wire (multipart/form-data from Node's fetch, as a browser sends it): V1 and V4
 * policy signatures from ali-oss, every kind of policy condition, the success answers, and the refusals — each
 * refusal leaving nothing stored. The browser itself is in test/e2e/oss-post-object.test.ts.
 */
import { connect } from 'node:net';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { errorCode, ossClient, startTestOss, uniqueBucket, type LooseOss, type TestOss } from '../helpers/oss';

let oss: TestOss;
let client: LooseOss;
const BUCKET = uniqueBucket('post');
const PUBLIC = uniqueBucket('public');

beforeAll(async () => {
  oss = await startTestOss({ buckets: [BUCKET, PUBLIC] });
  client = ossClient(oss.emulator, { bucket: BUCKET });
  await client.putBucketACL(PUBLIC, 'public-read-write');
});
afterEach(() => oss.resetClock());
afterAll(() => oss.stop());

type Conditions = unknown[];

function v1Fields(conditions: Conditions, expiresInMs = 60_000): Record<string, string> {
  const { OSSAccessKeyId, Signature, policy } = client.calculatePostSignature({ expiration: new Date(Date.now() + expiresInMs).toISOString(), conditions });
  return { OSSAccessKeyId, Signature, policy, 'x-oss-security-token': LOCAL_CREDENTIALS.securityToken };
}

function v4Fields(conditions: Conditions): Record<string, string> {
  const date = new Date();
  const stamp = date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const credential = `${LOCAL_CREDENTIALS.accessKeyId}/${stamp.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request`;
  const fields = { 'x-oss-signature-version': 'OSS4-HMAC-SHA256', 'x-oss-credential': credential, 'x-oss-date': stamp, 'x-oss-security-token': LOCAL_CREDENTIALS.securityToken };
  const policy = { expiration: new Date(date.getTime() + 60_000).toISOString(), conditions: [...conditions, ...Object.entries(fields).map(([k, v]) => ({ [k]: v }))] };
  const signature = client.signPostObjectPolicyV4(policy, date);
  return { ...fields, policy: Buffer.from(JSON.stringify(policy)).toString('base64'), 'x-oss-signature': signature };
}

async function post(bucket: string, fields: Record<string, string>, file: Buffer = Buffer.from('form bytes'), filename = 'photo.png'): Promise<{ status: number; text: string; headers: Headers }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(file)], { type: 'image/png' }), filename);
  const response = await fetch(`${oss.emulator.endpoint}/${bucket}`, { method: 'POST', body: form, redirect: 'manual' });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

const base: Conditions = [{ bucket: BUCKET }, ['starts-with', '$key', 'uploads/'], ['content-length-range', 1, 1024]];

describe('PostObject', () => {
  it.each([
    ['V1', v1Fields],
    ['V4', v4Fields],
  ])('stores a %s-signed form upload with its metadata and sends ObjectCreated:PostObject', async (_v, sign) => {
    const key = `uploads/${_v}-\${filename}`;
    const response = await post(BUCKET, { key, ...sign(base), 'x-oss-meta-owner': 'alice', 'Content-Type': 'image/png', 'x-oss-object-acl': 'public-read' });
    expect(response.status).toBe(204);
    expect(response.headers.get('etag')).toMatch(/^"[0-9A-F]{32}"$/);
    const stored = `uploads/${_v}-photo.png`;
    const got = await client.get(stored);
    expect(got.content.toString()).toBe('form bytes');
    expect(got.res.headers).toMatchObject({ 'content-type': 'image/png', 'x-oss-meta-owner': 'alice' });
    expect((await client.getACL(stored)).acl).toBe('public-read');
    expect(oss.events.find((e) => e.key === stored)?.eventName).toBe('ObjectCreated:PostObject');
  });

  it('refuses x-oss-meta-* fields over 8 KB in all, as a PutObject (D147), storing nothing', async () => {
    const key = 'uploads/meta-too-big.png';
    const response = await post(BUCKET, { key, ...v1Fields(base), 'x-oss-meta-big': 'm'.repeat(8192), 'Content-Type': 'image/png' });
    const { text } = response;
    expect([response.status, /<Code>InvalidArgument<\/Code>/.test(text), text.includes('metadata')]).toEqual([400, true, true]);
    await expect(client.head(key)).rejects.toMatchObject({ status: 404 });
  });

  it('holds an x-oss-tagging field to the same tag limits as PutObject\'s header (D175), storing nothing', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `k${i}=v${i}`).join('&');
    for (const tagging of [eleven, `${'k'.repeat(129)}=v`, 'team%40x=v', 'a=1&a=2']) {
      const key = `uploads/tags-${Date.now()}-${Math.random().toString(36).slice(2)}.png`;
      const response = await post(BUCKET, { key, ...v1Fields(base), 'x-oss-tagging': tagging });
      expect([response.status, errorCode(response.text), /<EC>0010-00000217<\/EC>/.test(response.text)]).toEqual([400, 'InvalidArgument', true]);
      expect(oss.emulator.listObjects(BUCKET, key)).toEqual([]);
    }
    const key = `uploads/tags-ok-${Date.now()}.png`;
    expect((await post(BUCKET, { key, ...v1Fields(base), 'x-oss-tagging': 'team=web&stage=a%20b' })).status).toBe(204);
    expect((await client.getObjectTagging(key)).tag).toEqual({ team: 'web', stage: 'a b' });
  });

  it('answers success_action_status 201 with an XML PostResponse, and a redirect with 303', async () => {
    const created = await post(BUCKET, { key: 'uploads/201.png', ...v1Fields(base), success_action_status: '201' });
    expect(created.status).toBe(201);
    expect(created.text).toMatch(/<PostResponse><Bucket>[^<]+<\/Bucket><Location>[^<]+<\/Location><Key>uploads\/201.png<\/Key><ETag>&quot;[0-9A-F]{32}&quot;<\/ETag><\/PostResponse>/); // OSS escapes the quotes too
    const redirected = await post(BUCKET, { key: 'uploads/303.png', ...v1Fields(base), success_action_redirect: 'https://shop.example/done' });
    expect(redirected.status).toBe(303);
    expect(redirected.headers.get('location')).toMatch(/^https:\/\/shop\.example\/done\?bucket=.+&key=uploads%2F303\.png&etag=/);
  });

  it('takes x-oss-content-type over the file part\'s own type (OSS\'s field for browsers, which always label the file)', async () => {
    const response = await post(BUCKET, { key: 'uploads/typed.bin', ...v1Fields(base), 'x-oss-content-type': 'application/x-custom' });
    expect(response.status).toBe(204);
    expect((await client.head('uploads/typed.bin')).res.headers['content-type']).toBe('application/x-custom');
  });

  it('refuses a success_action_redirect that is not an absolute http(s) URL by name, storing nothing', async () => {
    for (const redirect of ['not a url', '/relative/done', 'javascript:alert(1)']) {
      const response = await post(BUCKET, { key: 'uploads/bad-redirect.png', ...v1Fields(base), success_action_redirect: redirect });
      expect([response.status, errorCode(response.text), response.text.includes('success_action_redirect')]).toEqual([400, 'InvalidArgument', true]);
    }
    expect(oss.emulator.listObjects(BUCKET, 'uploads/bad-redirect')).toEqual([]);
  });

  it('checks eq, in, not-in and exact-match conditions', async () => {
    const conditions: Conditions = [...base, ['eq', '$x-oss-meta-kind', 'avatar'], ['in', '$content-type', ['image/png', 'image/jpeg']], ['not-in', '$x-oss-meta-owner', ['mallory']]];
    expect((await post(BUCKET, { key: 'uploads/ok.png', ...v1Fields(conditions), 'x-oss-meta-kind': 'avatar', 'content-type': 'image/png', 'x-oss-meta-owner': 'alice' })).status).toBe(204);
    for (const fields of [
      { 'x-oss-meta-kind': 'banner', 'content-type': 'image/png', 'x-oss-meta-owner': 'alice' },
      { 'x-oss-meta-kind': 'avatar', 'content-type': 'text/html', 'x-oss-meta-owner': 'alice' },
      { 'x-oss-meta-kind': 'avatar', 'content-type': 'image/png', 'x-oss-meta-owner': 'mallory' },
    ]) {
      const response = await post(BUCKET, { key: 'uploads/refused.png', ...v1Fields(conditions), ...fields });
      expect([response.status, errorCode(response.text)]).toEqual([403, 'AccessDenied']);
      expect(response.text).toContain('Policy Condition failed');
    }
    expect(oss.emulator.listObjects(BUCKET, 'uploads/refused')).toEqual([]);
  });

  it.each([
    ['a key outside the starts-with prefix', { key: 'elsewhere/x.png' }, 403, 'AccessDenied'],
    ['another bucket than the policy names', { key: 'uploads/x.png', bucket: PUBLIC }, 403, 'AccessDenied'],
    ['a tampered signature', { key: 'uploads/x.png', Signature: 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=' }, 403, 'SignatureDoesNotMatch'],
    ['a wrong security token', { key: 'uploads/x.png', 'x-oss-security-token': 'forged' }, 403, 'InvalidSecurityToken'],
    ['a policy that is not base64 JSON', { key: 'uploads/x.png', policy: 'not-a-policy' }, 403, 'SignatureDoesNotMatch'],
  ])('refuses %s', async (_what, override, status, code) => {
    const { bucket, ...fields } = { bucket: BUCKET, ...v1Fields(base), ...override };
    const response = await post(bucket, fields);
    expect([response.status, errorCode(response.text)]).toEqual([status, code]);
    expect(oss.emulator.listObjects(bucket, 'uploads/x')).toEqual([]);
    expect(oss.emulator.listObjects(bucket, 'elsewhere/')).toEqual([]);
  });

  it('refuses a file outside content-length-range and an expired policy', async () => {
    const big = await post(BUCKET, { key: 'uploads/big.png', ...v1Fields(base) }, Buffer.alloc(2048));
    expect([big.status, errorCode(big.text)]).toEqual([400, 'EntityTooLarge']);
    expect(big.text).toContain('<EC>0006-00000004</EC>');
    const empty = await post(BUCKET, { key: 'uploads/empty.png', ...v1Fields(base) }, Buffer.alloc(0));
    expect([empty.status, errorCode(empty.text)]).toEqual([400, 'EntityTooSmall']);
    const fields = v1Fields(base, 1000);
    oss.advance(2000);
    const late = await post(BUCKET, { key: 'uploads/late.png', ...fields });
    expect([late.status, errorCode(late.text)]).toEqual([403, 'AccessDenied']);
    expect(late.text).toContain('Policy expired');
    expect(oss.emulator.listObjects(BUCKET, 'uploads/big')).toEqual([]);
  });

  it('refuses a malformed policy with InvalidPolicyDocument', async () => {
    const policy = Buffer.from(JSON.stringify({ expiration: new Date(Date.now() + 60_000).toISOString() })).toString('base64');
    const signed = client.calculatePostSignature(Buffer.from(policy, 'base64').toString());
    const response = await post(BUCKET, { key: 'uploads/p.png', OSSAccessKeyId: signed.OSSAccessKeyId, Signature: signed.Signature, policy: signed.policy, 'x-oss-security-token': LOCAL_CREDENTIALS.securityToken });
    expect([response.status, errorCode(response.text)]).toEqual([400, 'InvalidPolicyDocument']);
  });

  it('accepts an unsigned form only on a public-read-write bucket', async () => {
    expect((await post(PUBLIC, { key: 'anon.png' })).status).toBe(204);
    const refused = await post(BUCKET, { key: 'uploads/anon.png' });
    expect([refused.status, errorCode(refused.text)]).toEqual([403, 'AccessDenied']);
  });

  it('reads a refused form to its end before answering, so the client still sending its file gets the error (D167)', async () => {
    // A form refused at its file part (here: no key) was answered at once with Connection: close while the file was
    // still arriving; a client that had not finished sending (fetch in a browser or Node) got a reset — EPIPE —
    // instead of the XML error. Two requests on one connection: the refusal, then a listing answered after it.
    const form = new FormData();
    for (const [name, value] of Object.entries(v1Fields([{ bucket: BUCKET }]))) form.append(name, value);
    form.append('file', new Blob([Buffer.alloc(256 * 1024, 1)]), 'big.bin');
    const request = new Request(`${oss.emulator.endpoint}/${BUCKET}`, { method: 'POST', body: form });
    const body = Buffer.from(await request.arrayBuffer());
    const head = `POST /${BUCKET} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${request.headers.get('content-type')}\r\nContent-Length: ${body.length}\r\n\r\n`;
    const listing = new URL(client.signatureUrl('', { expires: 60 }).replace(/\/[^/?]*\?/, '/?'));
    const answers = await new Promise<string>((resolve, reject) => {
      const socket = connect(oss.emulator.port, '127.0.0.1', () => {
        socket.write(Buffer.concat([Buffer.from(head), body]));
        socket.write(`GET /${BUCKET}/${listing.search} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      });
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      socket.on('error', reject);
    });
    const [first, second] = answers.split(/(?=HTTP\/1\.1 )/);
    expect(first).toMatch(/^HTTP\/1\.1 400 /);
    expect(first).toContain('<Code>MissingArgument</Code>');
    expect(first).not.toMatch(/connection: close/i);
    expect(second).toMatch(/^HTTP\/1\.1 (200|403) /);
  });

  it('refuses a body that is not a form, and a form without a file', async () => {
    const notForm = await fetch(`${oss.emulator.endpoint}/${BUCKET}`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    expect([notForm.status, errorCode(await notForm.text())]).toEqual([400, 'InvalidArgument']);
    const form = new FormData();
    form.append('key', 'uploads/none.png');
    const noFile = await fetch(`${oss.emulator.endpoint}/${BUCKET}`, { method: 'POST', body: form });
    expect([noFile.status, errorCode(await noFile.text())]).toEqual([400, 'MissingArgument']);
  });
});
