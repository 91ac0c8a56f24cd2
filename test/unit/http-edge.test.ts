import { z } from 'zod';
import { ConflictError, TooManyRequestsError } from '#shared/errors';
import { createHttpHandler, json, jsonBody } from '#shared/fc/http';
import type { HttpTriggerResponse } from '#shared/fc/types';
import { fakeContext, httpEvent } from '../helpers/fakes';

const handler = createHttpHandler([
  { method: 'GET', path: '/things/:id', handle: async (req) => json(200, { id: req.params.id, q: req.query.q }) },
  { method: 'POST', path: '/things', handle: async (req) => json(201, jsonBody(req, z.object({ name: z.string().min(2), qty: z.number().int() }))) },
  { method: 'PUT', path: '/things/:id', handle: async () => { throw new ConflictError('already there'); } },
  { method: 'DELETE', path: '/things/:id', handle: async () => { throw new Error('database password is hunter2'); } },
  { method: 'POST', path: '/things/:id/tries', handle: async () => { throw new TooManyRequestsError('slow down', 42); } },
]);

async function call(event: Buffer) {
  const res = (await handler(event, fakeContext())) as HttpTriggerResponse;
  return { ...res, json: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined };
}

describe('HTTP edge', () => {
  it('routes with path params and query', async () => {
    const res = await call(httpEvent('GET', '/things/a%20b', { query: { q: 'x' } }));
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ id: 'a b', q: 'x' });
  });

  it('answers 400 naming every wrong field', async () => {
    const res = await call(httpEvent('POST', '/things', { body: JSON.stringify({ name: 'a', qty: 1.5 }) }));
    expect(res.statusCode).toBe(400);
    const error = res.json!.error as { code: string; details: { path: string }[] };
    expect(error.code).toBe('ValidationError');
    expect(error.details.map((d) => d.path)).toEqual(['body.name', 'body.qty']);
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

  it('answers CORS preflight for allowed origins', async () => {
    const res = await call(httpEvent('OPTIONS', '/things', { headers: { Origin: 'http://site.test', 'Access-Control-Request-Headers': 'authorization' } }));
    expect(res.statusCode).toBe(204);
    expect(res.headers?.['access-control-allow-origin']).toBe('http://site.test');
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
