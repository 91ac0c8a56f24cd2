import { request, type ClientRequest } from 'node:http';

/**
 * Sending one request exactly as built (raw path, headers as given) and judging its answer: never a 5xx, never a
 * stack or an internal path, never a hang, a refusal in the service's own error shape, and no success for a
 * request that is invalid whatever its values.
 */
export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Set when no answer came: a timeout or a dropped connection. */
  failure?: string;
}

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export const REQUEST_TIMEOUT_MS = 15_000;

export function send(baseUrl: string, req: RawRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve) => {
    let settled = false;
    const done = (answer: Answer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    let outgoing: ClientRequest;
    try {
      outgoing = request(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers: { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (err) => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), failure: `answer cut: ${err.message}` }));
      },
      );
    } catch (err) {
      // Node refused to send it (a character a request line cannot hold): the fuzzer's own mistake, said as such.
      resolve({ status: 0, headers: {}, body: Buffer.alloc(0), failure: `the fuzzer built a request node cannot send: ${(err as Error).message}` });
      return;
    }
    const sent = outgoing;
    const timer = setTimeout(() => {
      sent.destroy();
      done({ status: 0, headers: {}, body: Buffer.alloc(0), failure: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    sent.on('error', (err) => done({ status: 0, headers: {}, body: Buffer.alloc(0), failure: `connection failed: ${err.message}` }));
    sent.end(req.body);
  });
}

/** Whose error shape a refusal must have. */
export type Shape = 'api' | 'console' | 'oss' | 'mns' | 'tablestore' | 'fnf' | 'fc';

/** A stack frame or a path on this machine: internals a client must never see. */
const INTERNALS = /\n\s+at \S.*:\d+:\d+|\(\/[^)]*:\d+:\d+\)|\/(?:work|home|tmp|usr)\/\S+|node_modules|\b\w+\.(?:ts|js|cjs|mjs):\d+/;

export function judge(answer: Answer, shape: Shape, mustRefuse: boolean): string[] {
  if (answer.failure) return [answer.failure];
  const problems: string[] = [];
  const text = answer.body.toString('utf8');
  // 501 is how an emulator refuses by name what it does not emulate (in the service's own error shape, checked below).
  const refusedByName = answer.status === 501 && shape !== 'api' && shape !== 'console';
  if (answer.status >= 500 && !refusedByName) problems.push(`answered ${answer.status}`);
  if (answer.status >= 400 && INTERNALS.test(text)) problems.push(`error body shows internals: ${text.match(INTERNALS)![0].slice(0, 80)}`);
  if (mustRefuse && answer.status < 400) problems.push(`wrong success: ${answer.status} to a request that is invalid whatever its values`);
  if ((answer.status >= 400 && answer.status < 500) || refusedByName) {
    const shapeProblem = refusalShapeProblem(shape, answer.status, text, answer.headers);
    if (shapeProblem) problems.push(shapeProblem);
  }
  return problems;
}

function refusalShapeProblem(shape: Shape, status: number, text: string, headers: Answer['headers']): string | undefined {
  // Node's own answers before any handler runs (a header block over its limit): the status says it all, as FC's front would.
  if (status === 431) return undefined;
  switch (shape) {
    case 'api':
    case 'console': {
      // A method the trigger or route does not take is refused by FC's front, in FC's own shape (D145).
      if (status === 405 && fcShaped(text)) return undefined;
      const parsed = parseJson(text) as { error?: { code?: unknown; message?: unknown; details?: { path?: unknown }[] } } | undefined;
      const error = parsed?.error;
      if (!error || typeof error.code !== 'string' || typeof error.message !== 'string' || error.message === '') return `refusal is not {error:{code,message}}: ${text.slice(0, 120)}`;
      if (error.code === 'ValidationError' && !error.details?.every((d) => typeof d.path === 'string' && d.path !== '')) return `a validation refusal without the field's path: ${text.slice(0, 120)}`;
      return undefined;
    }
    case 'oss':
    case 'mns':
      // A HEAD answer has no body; OSS puts the code in x-oss-ec / headers then.
      if (text === '' ) return headers['x-oss-request-id'] || headers['x-mns-request-id'] ? undefined : `an empty refusal without a request id`;
      return /<Error[\s>][\s\S]*<Code>[^<]+<\/Code>[\s\S]*<Message>/.test(text) ? undefined : `refusal is not <Error><Code><Message>: ${text.slice(0, 120)}`;
    case 'tablestore':
      // TableStore's Error message: field 1 (code, a string) first; every code starts with OTS.
      return text.length > 2 && text.charCodeAt(0) === 0x0a && text.slice(2).startsWith('OTS') ? undefined : `refusal is not a TableStore Error message: ${JSON.stringify(text.slice(0, 80))}`;
    case 'fnf':
    case 'fc':
      return fcShaped(text) ? undefined : `refusal is not {Code,Message}: ${text.slice(0, 120)}`;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** FC's and CloudFlow's error body: {Code, Message, RequestId}. */
function fcShaped(text: string): boolean {
  const parsed = parseJson(text) as { Code?: unknown; Message?: unknown } | undefined;
  return !!parsed && typeof parsed.Code === 'string' && typeof parsed.Message === 'string';
}
