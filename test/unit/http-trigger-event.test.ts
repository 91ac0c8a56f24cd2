import { answerPayload, httpTriggerEventJson, httpTriggerReply, plainAnswerReply, plainTriggerAnswer, type HttpTriggerRequest } from '../../scripts/local/runtime/http-trigger-event';

const at = Date.UTC(2026, 10, 26, 12, 30, 45, 678);

function request(overrides: Partial<HttpTriggerRequest> = {}): HttpTriggerRequest {
  return {
    method: 'POST',
    rawPath: '/api/echo/hello%20world',
    search: 'x=1&y=a%2Cb&x=2',
    rawHeaders: ['Host', 'shop.example.com:9000', 'User-Agent', 'curl/8', 'Content-Type', 'application/json', 'X-Tag', 'a', 'X-Tag', 'b'],
    body: new TextEncoder().encode('{"a":1}'),
    httpVersion: '1.1',
    sourceIp: '127.0.0.1',
    requestId: '1-abc-def',
    accountId: '1234567890',
    timeEpoch: at,
    ...overrides,
  };
}

describe('FC HTTP trigger event, built from the request parts', () => {
  it('has the v1 shape: headers as sent (repeats joined), query parameters (repeats joined), the request context', () => {
    const event = JSON.parse(httpTriggerEventJson(request()));
    expect(event).toEqual({
      version: 'v1',
      rawPath: '/api/echo/hello%20world',
      body: '{"a":1}',
      isBase64Encoded: false,
      headers: { Host: 'shop.example.com:9000', 'User-Agent': 'curl/8', 'Content-Type': 'application/json', 'X-Tag': 'a,b' },
      queryParameters: { x: '1,2', y: 'a,b' },
      requestContext: {
        accountId: '1234567890',
        domainName: 'shop.example.com:9000',
        domainPrefix: 'shop',
        http: { method: 'POST', path: '/api/echo/hello world', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'curl/8' },
        requestId: '1-abc-def',
        time: '2026-11-26T12:30:45Z',
        timeEpoch: String(at),
      },
    });
  });

  it('sends a binary body base64-encoded, judged by the first Content-Type (any spelling of the name)', () => {
    const bytes = new Uint8Array([0xff, 0x00, 0x10]);
    const event = JSON.parse(httpTriggerEventJson(request({ rawHeaders: ['content-TYPE', 'image/png', 'Content-Type', 'text/plain'], body: bytes })));
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, 'base64')).toEqual(Buffer.from(bytes));
  });

  it('reads a body that is a view into a larger buffer by its own bytes only', () => {
    const whole = new TextEncoder().encode('xx{"b":2}yy');
    const event = JSON.parse(httpTriggerEventJson(request({ body: whole.subarray(2, 9) })));
    expect(event.body).toBe('{"b":2}');
  });

  it('has no query parameters without a query, localhost without a Host, and keeps an undecodable path as sent', () => {
    const event = JSON.parse(httpTriggerEventJson(request({ search: '', rawHeaders: [], rawPath: '/bad%E0%A4%A', body: new Uint8Array(0) })));
    expect(event.queryParameters).toEqual({});
    expect(event.requestContext.domainName).toBe('localhost');
    expect(event.requestContext.http.path).toBe('/bad%E0%A4%A');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('joins a repeated query name in order, keeps names in first-seen order, and takes names an object inherits as names', () => {
    const event = JSON.parse(httpTriggerEventJson(request({ search: 'b=1&constructor=c&a=x+y&b=2&toString=t&b=3' })));
    expect(event.queryParameters).toEqual({ b: '1,2,3', constructor: 'c', a: 'x y', toString: 't' });
    expect(Object.keys(event.queryParameters)).toEqual(['b', 'constructor', 'a', 'toString']);
  });

  it('takes header and query names an object inherits, and __proto__, as plain names', () => {
    const rawHeaders = ['Constructor', 'c', 'toString', 't', '__proto__', 'p', 'constructor', 'd'];
    const event = JSON.parse(httpTriggerEventJson(request({ rawHeaders, search: '__proto__=q&hasOwnProperty=h' })));
    expect(event.headers).toEqual({ Constructor: 'c', toString: 't', ['__proto__']: 'p', constructor: 'd' });
    expect(Object.keys(event.headers)).toEqual(['Constructor', 'toString', '__proto__', 'constructor']);
    expect(Object.keys(event.queryParameters)).toEqual(['__proto__', 'hasOwnProperty']);
    expect(event.queryParameters.__proto__).toBe('q');
  });

  it('gives each second its own time text', () => {
    const first = JSON.parse(httpTriggerEventJson(request({ timeEpoch: at })));
    const next = JSON.parse(httpTriggerEventJson(request({ timeEpoch: at + 1000 })));
    expect(first.requestContext.time).toBe('2026-11-26T12:30:45Z');
    expect(next.requestContext.time).toBe('2026-11-26T12:30:46Z');
  });
});

describe("FC HTTP trigger reply, mapped from the function's answer", () => {
  it('maps {statusCode, headers, body}: header names lower-cased, values as text, the body as UTF-8 bytes', () => {
    const reply = httpTriggerReply(JSON.stringify({ statusCode: 201, headers: { 'Content-Type': 'text/plain', 'X-Count': 3 }, body: 'héllo' }));
    expect(reply && { ...reply, body: Buffer.from(reply.body).toString('utf8') }).toEqual({ status: 201, headers: { 'content-type': 'text/plain', 'x-count': '3' }, body: 'héllo' });
  });

  it('decodes a base64 body, sends an object body as JSON, and an absent body as nothing', () => {
    expect(Buffer.from(httpTriggerReply(JSON.stringify({ statusCode: 200, isBase64Encoded: true, body: Buffer.from([1, 2, 3]).toString('base64') }))!.body)).toEqual(Buffer.from([1, 2, 3]));
    expect(Buffer.from(httpTriggerReply(JSON.stringify({ statusCode: 200, body: { ok: true } }))!.body).toString()).toBe('{"ok":true}');
    expect(httpTriggerReply(JSON.stringify({ statusCode: 204 }))!.body.byteLength).toBe(0);
  });

  it('answers 200 for a status that is not a number', () => {
    expect(httpTriggerReply(JSON.stringify({ statusCode: 'soon' }))!.status).toBe(200);
  });

  it('leaves anything that is not the response shape to be sent as it is', () => {
    expect(httpTriggerReply('{"ok":true}')).toBeUndefined();
    expect(httpTriggerReply('plain text')).toBeUndefined();
    expect(httpTriggerReply('')).toBeUndefined();
    expect(httpTriggerReply('null')).toBeUndefined();
  });

  it('gives a body of its own, whose buffer can be transferred to another thread', () => {
    const reply = httpTriggerReply(JSON.stringify({ statusCode: 200, body: 'x' }))!;
    expect(reply.body.byteOffset).toBe(0);
    expect(reply.body.buffer.byteLength).toBe(reply.body.byteLength);
  });
});

describe('an answer mapped without JSON (D63)', () => {
  const text = (body: Uint8Array | string) => (typeof body === 'string' ? body : Buffer.from(body).toString('utf8'));
  const viaJson = (value: unknown) => {
    const reply = httpTriggerReply(JSON.stringify(value))!;
    return { ...reply, body: text(reply.body) };
  };

  it('gives the very reply and payload the JSON round trip gives, for every answer in the plain form', () => {
    const answers = [
      { statusCode: 201, headers: { 'Content-Type': 'text/plain', ETag: '"abc"' }, body: 'héllo — 你好 😀' },
      { body: '{"a":1}', statusCode: 200, isBase64Encoded: false, headers: {} },
      { statusCode: 204 },
      { statusCode: 0, body: 'status 0 becomes 200, as FC reads it' },
      { statusCode: 404, headers: { 'X-A': 'one', 'x-a': 'two' }, body: '' },
      Object.assign(Object.create(null) as object, { statusCode: 200, body: 'no prototype' }),
    ];
    for (const answer of answers) {
      const plain = plainTriggerAnswer(answer);
      expect(plain).toBe(answer);
      expect({ ...plainAnswerReply(plain!), body: text(plainAnswerReply(plain!).body) }).toEqual(viaJson(answer));
      expect(answerPayload(plain!).toString('utf8')).toBe(JSON.stringify(answer));
    }
  });

  it('leaves every other answer to the JSON round trip', () => {
    class Reply {
      statusCode = 200;
    }
    const others: unknown[] = [
      undefined,
      'text',
      Buffer.from('x'),
      [200],
      new Reply(),
      { statusCode: '200' },
      { statusCode: 200.5 },
      { statusCode: Number.NaN },
      { statusCode: 200, isBase64Encoded: true, body: 'AAE=' },
      { statusCode: 200, body: { ok: true } },
      { statusCode: 200, headers: { 'x-count': 3 } },
      { statusCode: 200, headers: new Map() },
      { statusCode: 200, body: 'lone \ud800 surrogate' },
      { statusCode: 200, body: 'x', extra: 1 },
      { statusCode: 200, body: 'x', toJSON: () => ({ statusCode: 500 }) },
    ];
    for (const value of others) expect(plainTriggerAnswer(value)).toBeUndefined();
  });
});
