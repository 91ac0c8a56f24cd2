/**
 * FC 3.0's HTTP trigger, both ends, as pure functions of plain data (no `node:http`): the event a function
 * receives for an HTTP request (built-in runtimes, `version: v1`) and the HTTP response its
 * `{statusCode, headers, isBase64Encoded, body}` answer maps to.
 * https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function
 * Multi-valued headers and query parameters are joined with ','; binary bodies travel base64-encoded.
 *
 * Plain data so the work can run where it costs least (D49): the gateway hands a request's parts to the
 * instance's thread, which builds the event and maps the answer there, beside the function; the gateway's
 * thread — which every request of the local cloud goes through — only reads the request and writes the reply.
 */
import { isUtf8 } from 'node:buffer';

/** What the gateway read of one HTTP request (structured-cloneable). */
export interface HttpTriggerRequest {
  method: string;
  /** The path as sent (URL-encoded), without the query. */
  rawPath: string;
  /** The query string after '?', as sent ('' when none). */
  search: string;
  /** `IncomingMessage.rawHeaders`: name, value, name, value, … in the order received. */
  rawHeaders: string[];
  body: Uint8Array;
  httpVersion: string;
  sourceIp: string;
  requestId: string;
  accountId: string;
  /** When the request arrived (ms since the epoch). */
  timeEpoch: number;
}

const TEXT_BODY = /^(text\/|application\/(json|x-www-form-urlencoded|javascript|xml)|[^;]*\+json)/i;

/** The FC HTTP trigger event for a request, as the JSON text the function receives. */
export function httpTriggerEventJson(request: HttpTriggerRequest): string {
  // Without a prototype, so a header or query named `constructor`, `toString` or `__proto__` is a plain name
  // (JSON.stringify writes such an object as any other).
  const headers: Record<string, string> = Object.create(null);
  // Node keeps the first of these when a client repeats them (IncomingMessage.headers); so does the event's context.
  let contentType = '';
  let host: string | undefined;
  let userAgent = '';
  const raw = request.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous},${value}`;
    if (name.length === 12 && name.toLowerCase() === 'content-type') contentType ||= value;
    else if (name.length === 4 && name.toLowerCase() === 'host') host ??= value;
    else if (name.length === 10 && name.toLowerCase() === 'user-agent') userAgent ||= value;
  }
  const queryParameters: Record<string, string> = Object.create(null);
  // One pass: a repeated name's values joined in order (as `getAll(name).join(',')`), names in first-seen order.
  if (request.search) {
    for (const [key, value] of new URLSearchParams(request.search)) {
      queryParameters[key] = Object.hasOwn(queryParameters, key) ? `${queryParameters[key]},${value}` : value;
    }
  }
  const body = request.body;
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // A text type whose bytes are not UTF-8 (Latin-1 from an old form, a mislabelled upload) travels base64 as
  // binary does: decoded as text it would reach the function with U+FFFD in place of its bytes (D145).
  const textual = body.length === 0 || (TEXT_BODY.test(contentType) && isUtf8(bytes));
  const domainName = host ?? 'localhost';
  return JSON.stringify({
    version: 'v1',
    rawPath: request.rawPath,
    body: textual ? bytes.toString('utf8') : bytes.toString('base64'),
    isBase64Encoded: !textual,
    headers,
    queryParameters,
    requestContext: {
      accountId: request.accountId,
      domainName,
      domainPrefix: domainName.split('.')[0]!,
      http: {
        method: request.method,
        path: safeDecode(request.rawPath),
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.sourceIp,
        userAgent,
      },
      requestId: request.requestId,
      time: isoSeconds(request.timeEpoch),
      timeEpoch: String(request.timeEpoch),
    },
  });
}

/** FC's `time` has whole seconds (`2024-01-01T00:00:00Z`); requests in the same second share the text. */
let lastSecond = -1;
let lastText = '';
function isoSeconds(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastText = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastText;
}

/** `decodeURIComponent`, or the text as it is when its %-escapes are malformed. */
export function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * Response headers FC's gateway sets itself and does not take from a function (FC's HTTP-trigger limits: custom
 * `x-fc-*`, `connection`, `keep-alive`, `content-length`, `date`, `server`), plus the framing ones whose copy would
 * break the answer (`transfer-encoding` beside the gateway's `content-length` is a response no client parses) (D145).
 * Names lower-cased. One rule for built-in runtimes' answers and custom runtimes' servers alike.
 */
const RESERVED_RESPONSE_HEADERS = new Set(['connection', 'keep-alive', 'content-length', 'transfer-encoding', 'date', 'server', 'upgrade', 'trailer']);

export function isReservedResponseHeader(name: string): boolean {
  return RESERVED_RESPONSE_HEADERS.has(name) || name.startsWith('x-fc-');
}

/** The HTTP response an HTTP-triggered function's answer maps to (header names lower-cased, no request id yet). */
export interface HttpTriggerReply {
  status: number;
  /** A list for a header sent more than once (a custom runtime's `set-cookie`s). */
  headers: Record<string, string | string[]>;
  /** Bytes, or text sent as UTF-8 (an answer taken as it is: `plainTriggerAnswer`). */
  body: Uint8Array | string;
}

/**
 * A handler's answer in the one form whose JSON round trip changes nothing: an object of exactly FC's response
 * fields, an integer status, text headers, a text body (not base64). Structured-cloneable as it is.
 */
export interface PlainTriggerAnswer {
  statusCode: number;
  headers?: Record<string, string>;
  isBase64Encoded?: false;
  body?: string;
}

/** `String.prototype.isWellFormed` (Node 20; not in the ES2023 typings). Constant time for one-byte text. */
const isWellFormed = (text: string) => (text as string & { isWellFormed(): boolean }).isWellFormed();

const ANSWER_KEYS = new Set(['statusCode', 'headers', 'isBase64Encoded', 'body']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * The answer itself when FC's mapping of it can skip JSON (D63): FC serialises what the handler returned and
 * its HTTP trigger reads that JSON back, which for this form gives back the very same values — so the
 * instance hands the answer over as it is (no serialising a page body, escaping it, encoding and parsing it
 * again), and the payload's JSON is made only if someone reads it (`answerPayload`). Anything else
 * (`undefined`): the JSON round trip (`httpTriggerReply`).
 */
export function plainTriggerAnswer(value: unknown): PlainTriggerAnswer | undefined {
  if (!isPlainObject(value)) return undefined;
  for (const key in value) if (!ANSWER_KEYS.has(key)) return undefined;
  const { statusCode, headers, isBase64Encoded, body } = value;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode)) return undefined;
  if (isBase64Encoded !== undefined && isBase64Encoded !== false) return undefined;
  // A lone surrogate would become U+FFFD in bytes but an escape in JSON: left to the round trip.
  if (body !== undefined && (typeof body !== 'string' || !isWellFormed(body))) return undefined;
  if (headers !== undefined) {
    if (!isPlainObject(headers)) return undefined;
    for (const name in headers) if (typeof headers[name] !== 'string') return undefined;
  }
  return value as unknown as PlainTriggerAnswer;
}

/** The HTTP response a plain answer maps to: what `httpTriggerReply` gives for its JSON, without the JSON. */
export function plainAnswerReply(answer: PlainTriggerAnswer): HttpTriggerReply {
  const headers: Record<string, string> = {};
  if (answer.headers) for (const name in answer.headers) headers[name.toLowerCase()] = answer.headers[name]!;
  return { status: answer.statusCode || 200, headers, body: answer.body ?? '' };
}

/** The invocation's payload for a plain answer: the JSON FC makes of it, byte for byte. */
export function answerPayload(answer: PlainTriggerAnswer): Buffer {
  return Buffer.from(JSON.stringify(answer));
}

interface TriggerResponse {
  statusCode?: unknown;
  headers?: unknown;
  isBase64Encoded?: unknown;
  body?: unknown;
}

/**
 * Map a function's answer (the JSON text FC made of what the handler returned) to the HTTP response, as FC's
 * HTTP trigger does: `{statusCode, headers, isBase64Encoded, body}` becomes that response; anything else is
 * returned as it is with 200 (`undefined` here: the caller sends the payload bytes).
 */
export function httpTriggerReply(payloadText: string): (HttpTriggerReply & { body: Uint8Array }) | undefined {
  let parsed: TriggerResponse | undefined;
  try {
    const value: unknown = JSON.parse(payloadText);
    if (value && typeof value === 'object' && 'statusCode' in value) parsed = value as TriggerResponse;
  } catch {
    parsed = undefined;
  }
  if (!parsed) return undefined;
  const headers: Record<string, string> = {};
  if (parsed.headers && typeof parsed.headers === 'object') {
    for (const [k, v] of Object.entries(parsed.headers as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
  }
  const text = typeof parsed.body === 'string' ? parsed.body : parsed.body === undefined ? '' : JSON.stringify(parsed.body);
  const body = parsed.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  // A copy of exactly its length (Buffer.from may slice the shared pool), so it can be transferred, not copied.
  return { status: Number(parsed.statusCode) || 200, headers, body: new Uint8Array(body) };
}
