/**
 * Request authentication as TableStore checks it (lib/signer.js; https://www.alibabacloud.com/help/en/tablestore/developer-reference/signature):
 * `x-ots-signature = base64(HMAC-SHA1(secret, "/<Operation>\nPOST\n\n" + sorted "x-ots-*:value" lines + "\n"))`,
 * signed over every `x-ots-*` header but the signature itself, plus the body's MD5 in `x-ots-contentmd5`.
 */
import { createHmac, hash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { authFailed, OtsError, parameterInvalid } from './errors';

/** The secret (and STS token) of an access key, or undefined when the key is unknown. */
export type CredentialLookup = (accessKeyId: string) => { accessKeySecret: string; securityToken?: string | undefined } | undefined;

/** The base64 MD5 of a body (requests' `x-ots-contentmd5`, and the emulator's answers), in one call. */
export const md5Base64 = (bytes: Uint8Array): string => hash('md5', bytes, 'base64');

const REQUIRED = ['x-ots-date', 'x-ots-apiversion', 'x-ots-accesskeyid', 'x-ots-instancename', 'x-ots-contentmd5', 'x-ots-signature'];
/** TableStore refuses requests whose x-ots-date is too far from its clock (the exact window is not documented). */
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export function stringToSign(path: string, headers: IncomingHttpHeaders): string {
  const lines = Object.keys(headers)
    .filter((name) => name.startsWith('x-ots-') && name !== 'x-ots-signature')
    .sort()
    .map((name) => `${name}:${String(headers[name])}`);
  return `${path}\nPOST\n\n${lines.join('\n')}\n`;
}

function header(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  return Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
}

/** Throws the OtsError TableStore would answer; returns the instance the request is for. */
export function authenticate(input: { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer; instances: ReadonlySet<string>; credentials: CredentialLookup; wallClock: number }): string {
  if (input.method !== 'POST') throw new OtsError(405, 'OTSMethodNotAllowed', 'Only POST method for requests is supported.');
  for (const name of REQUIRED) if (!header(input.headers, name)) throw parameterInvalid(`Missing header: ${name}.`);
  const date = Date.parse(header(input.headers, 'x-ots-date'));
  if (Number.isNaN(date)) throw parameterInvalid(`Invalid date format: ${header(input.headers, 'x-ots-date')}.`);
  if (Math.abs(date - input.wallClock) > MAX_CLOCK_SKEW_MS) throw authFailed(`Mismatch between system time and x-ots-date: ${header(input.headers, 'x-ots-date')}.`);
  const instance = header(input.headers, 'x-ots-instancename');
  if (!input.instances.has(instance)) throw authFailed('The instance is not found.');
  const credential = input.credentials(header(input.headers, 'x-ots-accesskeyid'));
  if (!credential) throw authFailed('The AccessKeyID does not exist.');
  if (credential.securityToken !== undefined && header(input.headers, 'x-ots-ststoken') !== credential.securityToken) throw authFailed('The security token is invalid.');
  if (header(input.headers, 'x-ots-contentmd5') !== md5Base64(input.body)) throw authFailed('Mismatch between MD5 value of request body and x-ots-contentmd5 in header.');
  const expected = Buffer.from(createHmac('sha1', credential.accessKeySecret).update(stringToSign(input.path, input.headers)).digest('base64'));
  const given = Buffer.from(header(input.headers, 'x-ots-signature'));
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw authFailed('Signature mismatch.');
  return instance;
}
