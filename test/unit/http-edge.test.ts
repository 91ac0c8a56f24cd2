import { z } from 'zod';
import { ConflictError, TooManyRequestsError } from '#shared/errors';
import { createHttpHandler, json, jsonBody } from '#shared/fc/http';
import type { HttpTriggerResponse } from '#shared/fc/types';
import { fakeContext, httpEvent } from '../helpers/fakes';

const handler = createHttpHandler([
  { method: 'GET', path: '/things/:id', handle: async (req) => json(200, { id: req.params.id }) },
  { method: 'POST', path: '/things', handle: async (req) => json(201, jsonBody(req, z.object({ name: z.string().min(2), qty: z.number().int() }))) },
  { method: 'PUT', path: '/things/:id', handle: async () => { throw new ConflictError('already there'); } },
  { method: 'DELETE', path: '/things/:id', handle: async () => { throw new Error('database password is hunter2'); } },
  { method: 'POST', path: '/things/:id/tries', handle: async () => { throw new TooManyRequestsError('slow down', 42); } },
  {
    method: 'GET',
    path: '/headers',
    handle: async (req) => json(200, { own: Object.keys(req.headers), proto: Object.hasOwn(req.headers, '__proto__') ? req.headers.__proto__ : null, ctor: typeof req.headers.constructor }),
  },
  { method: 'GET', path: '/search', readsQuery: true, handle: async (req) => json(200, { q: req.query.q ?? null }) },
]);

async function call(event: Buffer) {
  const res = (await handler(event, fakeContext())) as HttpTriggerResponse;
  return { ...res, json: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined };
}

describe('HTTP edge', () => {
  it('routes with path params and query', async () => {
    const res = await call(httpEvent('GET', '/things/a%20b'));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ id: 'a b' });
  });

  it('answers 400 naming every wrong field', async () => {
    const res = await call(httpEvent('POST', '/things', { body: JSON.stringify({ name: 'a', qty: 1.5 }) }));
    expect(res.statusCode).toBe(400);
    const error = res.json!.error as { code: string; details: { path: string }[] };
    expect(error.code).toBe('ValidationError');
    expect(error.details.map((d) => d.path)).toEqual(['body.name', 'body.qty']);
  });

  it('reads a JSON body that starts with a UTF-8 byte order mark (D127)', async () => {
    const res = await call(httpEvent('POST', '/things', { body: '\ufeff{"name":"ab","qty":2}' }));
    expect([res.statusCode, res.json]).toEqual([201, { name: 'ab', qty: 2 }]);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const res = await call(httpEvent('POST', '/things', { body: '{oops' }));
    expect(res.statusCode).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'ValidationError', details: [{ path: 'body' }] } });
  });

  it('maps typed errors to their status and hides unexpected ones', async () => {
    expect((await call(httpEvent('PUT', '/things/1'))).statusCode).toBe(409);
    const res = await call(httpEvent('DELETE', '/things/1'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('hunter2');
    expect(res.json).toMatchObject({ error: { code: 'InternalError', message: 'internal error' } });
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    expect((await call(httpEvent('GET', '/nope'))).statusCode).toBe(404);
    const res = await call(httpEvent('PATCH', '/things/1'));
    expect(res.statusCode).toBe(405);
    expect(res.headers?.allow).toContain('GET');
  });

  it('answers CORS preflight for allowed origins, with the methods of that path', async () => {
    const res = await call(httpEvent('OPTIONS', '/things', { headers: { Origin: 'http://site.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' } }));
    expect(res.statusCode).toBe(204);
    expect(res.headers?.['access-control-allow-origin']).toBe('http://site.test');
    expect(res.headers?.['access-control-allow-methods']).toBe('POST, OPTIONS');
  });

  describe('OPTIONS from an origin that is not allowed, or from no browser at all (D127)', () => {
    const saved = process.env.CORS_ORIGINS;
    beforeAll(() => (process.env.CORS_ORIGINS = 'http://site.test'));
    afterAll(() => (saved === undefined ? delete process.env.CORS_ORIGINS : (process.env.CORS_ORIGINS = saved)));

    it('answers a preflight from another origin 204 with no CORS headers, as a simple request from it gets none', async () => {
      const res = await call(httpEvent('OPTIONS', '/things/1', { headers: { Origin: 'http://evil.test', 'Access-Control-Request-Method': 'DELETE' } }));
      expect(res.statusCode).toBe(204);
      expect(Object.keys(res.headers ?? {}).filter((name) => name.startsWith('access-control-'))).toEqual([]);
      expect(res.headers?.allow).toBe('GET, PUT, DELETE, OPTIONS');
      const simple = await call(httpEvent('GET', '/things/1', { headers: { Origin: 'http://evil.test' } }));
      expect([simple.statusCode, simple.headers?.['access-control-allow-origin']]).toEqual([200, undefined]);
    });

    it('answers a plain OPTIONS with the methods of the path, and 404 for a path it does not serve', async () => {
      const res = await call(httpEvent('OPTIONS', '/things'));
      expect([res.statusCode, res.headers?.allow]).toEqual([204, 'POST, OPTIONS']);
      expect((await call(httpEvent('OPTIONS', '/nope', { headers: { Origin: 'http://site.test' } }))).statusCode).toBe(404);
    });
  });

  it('keeps a header named __proto__ as a header, and reads no header the client did not send', async () => {
    const res = await call(httpEvent('GET', '/headers', { headers: { ['__proto__']: 'kept', 'X-Other': '1' } }));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ own: ['__proto__', 'x-other'], proto: 'kept', ctor: 'undefined' });
  });

  it('decodes a path once: an escape in the decoded path stays as it is, and a malformed one is not a 500', async () => {
    // FC hands the function the path already decoded (`requestContext.http.path`); decoding it again turned
    // `%2561` (a literal "%61") into "a".
    expect((await call(httpEvent('GET', '/things/a%2561'))).json).toEqual({ id: 'a%61' });
    const malformed = await call(httpEvent('GET', '/things/%E0%A4%A'));
    expect([malformed.statusCode, malformed.json]).toEqual([200, { id: '%E0%A4%A' }]);
  });

  it('refuses query parameters on a route that reads none, naming them, before the route runs', async () => {
    const res = await call(httpEvent('GET', '/things/1', { query: { dryRun: '1' } }));
    expect(res.statusCode).toBe(400);
    expect(res.json).toMatchObject({ error: { code: 'ValidationError', details: [{ path: 'query.dryRun', message: 'is not a parameter of GET /things/:id' }] } });
    expect((await call(httpEvent('GET', '/search', { query: { q: 'x' } }))).json).toEqual({ q: 'x' });
  });

  it('tells a throttled client when to come back (Retry-After), readable cross-origin', async () => {
    const res = await call(httpEvent('POST', '/things/1/tries', { headers: { Origin: 'http://site.test' } }));
    expect(res.statusCode).toBe(429);
    expect(res.headers?.['retry-after']).toBe('42');
    expect(res.json).toEqual({ error: { code: 'TooManyRequests', message: 'slow down' } });
    expect(res.headers?.['access-control-expose-headers']).toContain('retry-after');
  });

  it('lets a cross-origin page read the request ids the API sends', async () => {
    // FC's HTTP trigger and custom domain add `x-fc-request-id` to every answer (the local gateway too); a page on
    // another origin reads it only if the function exposes it.
    const res = await call(httpEvent('GET', '/things/1', { headers: { Origin: 'http://site.test' } }));
    const exposed = (res.headers?.['access-control-expose-headers'] ?? '').split(',').map((h) => h.trim());
    expect(exposed).toEqual(expect.arrayContaining(['x-fc-request-id', 'x-correlation-id', 'etag']));
    expect(exposed).not.toContain('x-request-id');
  });

  it('echoes the correlation id', async () => {
    const res = await call(httpEvent('GET', '/things/1', { headers: { 'X-Correlation-Id': 'corr-7' } }));
    expect(res.headers?.['x-correlation-id']).toBe('corr-7');
  });
});
