/**
 * A minimal signed TableStore request for tests that must send what the SDK cannot (a limit of 0, a body over
 * 5 MB, a wrong header): the same headers and signature the SDK sends (lib/client.js, lib/signer.js).
 */
import { createHash, createHmac } from 'node:crypto';
import { stringToSign } from '../../scripts/local/emulators/tablestore/signature';

export interface RawResponse {
  status: number;
  body: Buffer;
}

export interface RawCredential {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export async function signedCall(endpoint: string, instance: string, credential: RawCredential, operation: string, body: Uint8Array, overrides: Record<string, string> = {}): Promise<RawResponse> {
  const path = `/${operation}`;
  const headers: Record<string, string> = {
    'x-ots-apiversion': '2015-12-31',
    'x-ots-instancename': instance,
    'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
    'x-ots-date': new Date().toISOString(),
    'x-ots-accesskeyid': credential.accessKeyId,
    ...(credential.securityToken ? { 'x-ots-ststoken': credential.securityToken } : {}),
    ...overrides,
  };
  headers['x-ots-signature'] = createHmac('sha1', credential.accessKeySecret).update(stringToSign(path, headers)).digest('base64');
  const res = await fetch(`${endpoint}${path}`, { method: 'POST', headers, body: Buffer.from(body) });
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}
