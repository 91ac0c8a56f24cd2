/**
 * A minimal signed TableStore client for tests that need to send what the SDK cannot (e.g. `limit: 0`) or to
 * call a handler without the SDK: the same headers and signature the SDK sends (lib/client.js, lib/signer.js).
 */
import { createHash, createHmac } from 'node:crypto';
import type { FakeCredential } from './signature';
import { stringToSign } from './signature';

export interface RawResponse {
  status: number;
  body: Buffer;
}

export async function signedCall(endpoint: string, instance: string, credential: FakeCredential, operation: string, body: Uint8Array): Promise<RawResponse> {
  const path = `/${operation}`;
  const headers: Record<string, string> = {
    'x-ots-apiversion': '2015-12-31',
    'x-ots-instancename': instance,
    'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
    'x-ots-date': new Date().toISOString(),
    'x-ots-accesskeyid': credential.accessKeyId,
    ...(credential.securityToken ? { 'x-ots-ststoken': credential.securityToken } : {}),
  };
  headers['x-ots-signature'] = createHmac('sha1', credential.accessKeySecret).update(stringToSign(path, headers)).digest('base64');
  const res = await fetch(`${endpoint}${path}`, { method: 'POST', headers, body: Buffer.from(body) });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}
