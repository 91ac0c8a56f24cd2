import { createHash, createHmac } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';

/**
 * A signed MNS request the way a user's own script (or curl) would make it, written from the MNS docs
 * independently of the emulator's verifier: `Authorization: MNS <ak>:base64(HMAC-SHA1(sk, StringToSign))`.
 * Used to reach the APIs `@alicloud/mns` only stubs (Subscribe, Unsubscribe, …) and to provoke errors.
 */
export interface RawCredentials {
  accessKeyId: string;
  accessKeySecret: string;
  securityToken?: string;
}

export interface RawRequest {
  method: string;
  /** Path and query as they go on the request line, e.g. `/queues/q/messages?waitseconds=1`. */
  resource: string;
  body?: string;
  headers?: Record<string, string>;
  /** Default: now. */
  date?: Date;
  /** Sign with this secret instead of the real one (to provoke SignatureDoesNotMatch). */
  signWith?: string;
  /** Leave the security-token header out. */
  omitToken?: boolean;
  /** Standard Base64 of the body's MD5 (as the docs describe), sent as Content-MD5. */
  contentMd5?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed XML body (root element → children), or undefined for an empty body. */
  xml: Record<string, unknown> | undefined;
}

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: false, isArray: (name) => ['Message', 'Queue', 'Topic', 'Subscription', 'Error'].includes(name) });

/** The headers of a signed request (date, version, content type and MD5 when there is a body, authorization, token). */
export function signedHeaders(credentials: RawCredentials, request: RawRequest): Record<string, string> {
  const body = request.body ?? '';
  const date = (request.date ?? new Date()).toUTCString();
  const headers: Record<string, string> = { date, 'x-mns-version': '2015-06-06', ...(request.headers ?? {}) };
  if (body) headers['content-type'] = 'text/xml;charset=utf-8';
  if (request.contentMd5) headers['content-md5'] = createHash('md5').update(body).digest('base64');
  const mnsHeaders = Object.keys(headers)
    .map((k) => k.toLowerCase())
    .filter((k) => k.startsWith('x-mns-'))
    .sort()
    .map((k) => `${k}:${headers[k]}\n`)
    .join('');
  const toSign = `${request.method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${date}\n${mnsHeaders}${request.resource}`;
  const signature = createHmac('sha1', request.signWith ?? credentials.accessKeySecret).update(toSign).digest('base64');
  headers.authorization = `MNS ${credentials.accessKeyId}:${signature}`;
  if (credentials.securityToken && !request.omitToken) headers['security-token'] = credentials.securityToken;
  return headers;
}

/** An MNS answer's XML body (root element → children). */
export const parseMnsXml = (text: string) => parser.parse(text) as Record<string, unknown>;

export async function mnsRaw(endpoint: string, credentials: RawCredentials, request: RawRequest): Promise<RawResponse> {
  const body = request.body ?? '';
  const headers = signedHeaders(credentials, request);
  const res = await fetch(`${endpoint}${request.resource}`, { method: request.method, headers, ...(body ? { body } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, xml: text ? parseMnsXml(text) : undefined };
}

/** `<Error><Code>…` of an error answer. */
export function errorCode(res: RawResponse): string | undefined {
  const error = (res.xml?.Error as { Code?: string }[] | undefined)?.[0];
  return error?.Code;
}

export const subscriptionXml = (fields: Record<string, string>) =>
  `<?xml version="1.0" encoding="UTF-8"?><Subscription xmlns="http://mns.aliyuncs.com/doc/v1/">${Object.entries(fields)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('')}</Subscription>`;
