import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { GetManyRequest, GetRequest, ListRequest, ReviewsRequest } from '#shared/contracts/products';
import { decodeEvent, isHttpTriggerEvent } from '#shared/fc/service';
import type { FcHandler, HttpTriggerEvent } from '#shared/fc/types';
import { parseOssEvent } from '#shared/contracts/oss-event';
import { parseMnsQueueEvent, parseMnsTopicEvent } from '#shared/contracts/mns-events';
import { matchesOssTrigger, type OssNotification } from '../../scripts/local/emulators/oss';
import { matchRoute } from '../../scripts/local/gateway/routes';
import { loadSpec } from '../../scripts/local/spec/load';
import type { AppSpec, FunctionSpec, RouteSpec } from '../../scripts/local/spec/model';
import { fakeContext } from '../helpers/fakes';

/**
 * Every fixture under `test/fixtures/events/<trigger>/` is a real payload shape and must be accepted by
 * what consumes it. Each trigger folder has a checker; a new folder (oss, tablestore, mns-queue…) fails
 * here until its checker is added to CHECKERS.
 *
 * HTTP and timer fixtures are routed the way the cloud would deliver them (custom-domain route or the
 * function's own trigger URL; the timer trigger of that name in s.yaml) and run through that function's
 * real edge with dependencies that only record being reached: a fixture passes when it gets through the
 * function's decoding and validation to its core.
 */
const ROOT = join(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'events');
const spec: AppSpec = loadSpec(join(ROOT, 's.yaml'), {});

// ---------- shapes of the FC events (kept in step with functions/_shared/fc/types.ts by `satisfies`) ----------

const HttpTriggerEventSchema = z.object({
  version: z.literal('v1'),
  rawPath: z.string().regex(/^\/[^?#]*$/, 'a path without query or fragment'),
  body: z.string(),
  isBase64Encoded: z.boolean(),
  headers: z.record(z.string(), z.string()),
  queryParameters: z.record(z.string(), z.string()),
  requestContext: z.object({
    accountId: z.string().min(1),
    domainName: z.string().min(1),
    domainPrefix: z.string().min(1),
    http: z.object({
      method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS']),
      path: z.string().startsWith('/'),
      protocol: z.string(),
      sourceIp: z.string(),
      userAgent: z.string(),
    }),
    requestId: z.string().min(1),
    time: z.string(),
    timeEpoch: z.string().regex(/^\d+$/, 'epoch milliseconds as a string'),
  }),
}) satisfies z.ZodType<HttpTriggerEvent>;

/** FC timer trigger event (https://www.alibabacloud.com/help/en/functioncompute/fc/user-guide/timer-triggers). */
const TimerEventSchema = z.object({ triggerTime: z.iso.datetime(), triggerName: z.string().min(1), payload: z.string() });

/** The request schemas of the services' invoke faces. Extend when a new contract gets invoke fixtures. */
const SERVICE_REQUESTS: Record<string, z.ZodType> = { GetRequest, GetManyRequest, ListRequest, ReviewsRequest };

// ---------- helpers ----------

function parseOrReport<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('\n'));
  return result.data;
}

/**
 * Run the function's real edge (`createHandler(deps)` of functions/<resource>/handler.ts) on the event,
 * with a dependency factory that records being reached and stops there.
 */
async function reachesCore(fn: FunctionSpec, event: Buffer): Promise<{ reached: boolean; answer?: unknown }> {
  const mod = (await import(join(ROOT, 'functions', fn.resource, 'handler.ts'))) as { createHandler?: (deps: () => never) => FcHandler };
  if (typeof mod.createHandler !== 'function') throw new Error(`functions/${fn.resource}/handler.ts exports no createHandler(deps)`);
  let reached = false;
  const handler = mod.createHandler(() => {
    reached = true;
    throw new Error('fixture check: the core was reached');
  });
  let answer: unknown;
  try {
    answer = await handler(event, fakeContext({ function: { name: fn.name, handler: fn.handler, memory: fn.memorySize, timeout: fn.timeout } }));
  } catch (err) {
    answer = (err as Error).message;
  }
  return reached ? { reached } : { reached, answer };
}

/** The domain a route is served on: an fc3-domain resource's `domainName` or an fc3 `customDomain.domainName`. */
function domainOf(route: RouteSpec): string | undefined {
  const props = spec.rendered[route.source.split('.')[1] ?? '']?.props as { domainName?: string; customDomain?: { domainName?: string } } | undefined;
  return props?.domainName ?? props?.customDomain?.domainName;
}

/** Which function FC would hand this event to: a custom-domain route, or the function's own trigger URL. */
function httpTarget(event: HttpTriggerEvent): FunctionSpec {
  const { domainName, domainPrefix, http } = event.requestContext;
  const domainRoutes = spec.routes.filter((route) => domainOf(route) === domainName);
  if (domainRoutes.length > 0) {
    const route = matchRoute(domainRoutes, http.path);
    if (!route) throw new Error(`no route of ${domainName} serves ${http.path}`);
    if (route.methods && !route.methods.includes(http.method)) throw new Error(`the route ${route.path} does not allow ${http.method}`);
    return spec.functions.find((fn) => fn.name === route.functionName)!;
  }
  // A trigger URL's host starts with the function name: <functionName>-<suffix>.<region>.fcapp.run
  const owners = spec.functions.filter((fn) => domainPrefix.startsWith(`${fn.name}-`)).sort((a, b) => b.name.length - a.name.length);
  if (!owners[0]) throw new Error(`no route or function answers on ${domainName}`);
  return owners[0];
}

// ---------- one checker per trigger folder ----------

type Checker = (event: Buffer) => Promise<void>;

const CHECKERS: Record<string, Checker> = {
  async http(raw) {
    const event = parseOrReport(HttpTriggerEventSchema, JSON.parse(raw.toString('utf8')));
    expect(isHttpTriggerEvent(decodeEvent(raw))).toBe(true);
    // FC sends the path percent-encoded in rawPath and decoded in requestContext.http.path.
    expect(decodeURIComponent(event.rawPath)).toBe(event.requestContext.http.path);
    const fn = httpTarget(event);
    const trigger = fn.triggers.find((t) => t.type === 'http');
    expect({ function: fn.resource, httpTrigger: trigger?.type === 'http' && trigger.methods.includes(event.requestContext.http.method) }).toEqual({ function: fn.resource, httpTrigger: true });
    expect(await reachesCore(fn, raw)).toEqual({ reached: true });
  },

  async invoke(raw) {
    const payload = decodeEvent(raw);
    // A schema accepts the payload when it keeps every field as given (nothing stripped or coerced).
    const accepting = Object.entries(SERVICE_REQUESTS).filter(([, schema]) => {
      const result = schema.safeParse(payload);
      return result.success && Object.entries(payload as object).every(([key, value]) => isDeepStrictEqual((result.data as Record<string, unknown>)[key], value));
    });
    expect({ payload, acceptedBy: accepting.length > 0 ? 'a service request schema' : `none of ${Object.keys(SERVICE_REQUESTS).join(', ')}` }).toEqual({
      payload,
      acceptedBy: 'a service request schema',
    });
  },

  async oss(raw) {
    const { events } = parseOssEvent(raw);
    for (const record of events) {
      // The function an OSS trigger of s.yaml would fire for this object (bucket, events, key filter).
      const notification = { eventName: record.eventName, bucket: record.oss.bucket.name, key: record.oss.object.key } as OssNotification;
      const owners = spec.functions.filter((fn) => fn.triggers.some((t) => t.type === 'oss' && t.bucket === notification.bucket && matchesOssTrigger(notification, t)));
      expect({ key: notification.key, owners: owners.length }).toEqual({ key: notification.key, owners: 1 });
      expect(await reachesCore(owners[0]!, raw)).toEqual({ reached: true });
    }
  },

  // MNS events: the shared parsers accept them (the IoT and order functions that consume them add owner checks).
  async 'mns-queue'(raw) {
    const messages = parseMnsQueueEvent(raw);
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) expect(m).toEqual({ messageId: expect.any(String), body: expect.any(String), ...(m.subject ? { subject: expect.stringMatching(/^acs:mns:[\w-]+:\d+:queues\//) } : {}) });
  },

  async 'mns-topic'(raw) {
    expect(parseMnsTopicEvent(raw)).toMatchObject({ body: expect.any(String), attributes: expect.any(Object) });
  },

  async timer(raw) {
    const event = parseOrReport(TimerEventSchema, JSON.parse(raw.toString('utf8')));
    const owners = spec.functions.filter((fn) => fn.triggers.some((t) => t.type === 'timer' && t.name === event.triggerName && t.payload === event.payload));
    expect(owners.map((fn) => fn.resource)).toHaveLength(1);
    expect(await reachesCore(owners[0]!, raw)).toEqual({ reached: true });
  },
};

// ---------- the fixtures ----------

const folders = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);

describe('event fixtures', () => {
  it('exist for the trigger kinds the app uses', () => {
    expect(folders).toEqual(expect.arrayContaining(['http', 'invoke', 'timer']));
  });

  it.each(folders)('in %s/ have a checker', (folder) => {
    expect({ folder, checker: CHECKERS[folder] ? 'present' : `missing: add one to CHECKERS in test/unit/fixtures.test.ts` }).toEqual({ folder, checker: 'present' });
  });

  const files = folders.flatMap((folder) =>
    readdirSync(join(FIXTURES, folder))
      .filter((file) => file.endsWith('.json'))
      .map((file) => [`${folder}/${file}`, folder] as const),
  );
  it.each(files)('%s is accepted by what consumes it', async (file, folder) => {
    const checker = CHECKERS[folder];
    if (!checker) throw new Error(`no checker for ${folder}/`);
    await checker(readFileSync(join(FIXTURES, file)));
  });
});

describe('the fixture checkers reject', () => {
  const http = readFileSync(join(FIXTURES, 'http', 'get-product-page.json'));
  const edit = (buffer: Buffer, change: (event: HttpTriggerEvent) => void) => {
    const event = JSON.parse(buffer.toString('utf8')) as HttpTriggerEvent;
    change(event);
    return Buffer.from(JSON.stringify(event));
  };

  it('an HTTP event missing a field of the FC shape', async () => {
    await expect(CHECKERS.http!(edit(http, (e) => delete (e.requestContext as Partial<HttpTriggerEvent['requestContext']>).timeEpoch))).rejects.toThrow('requestContext.timeEpoch');
  });

  it('an HTTP event its function rejects as invalid', async () => {
    await expect(CHECKERS.http!(edit(http, (e) => (e.queryParameters.client = 'tv')))).rejects.toThrow(/statusCode.*400/s);
  });

  it('an HTTP event no route serves', async () => {
    await expect(CHECKERS.http!(edit(http, (e) => (e.requestContext.http.path = e.rawPath = '/api/nowhere')))).rejects.toThrow('no route of');
  });

  it('an invoke payload with a field no request schema takes', async () => {
    await expect(CHECKERS.invoke!(Buffer.from('{"op":"get","productId":"p-kite-drone","colour":"red"}'))).rejects.toThrow(/acceptedBy/);
  });

  it('a timer event whose trigger or payload is not in s.yaml', async () => {
    await expect(CHECKERS.timer!(Buffer.from('{"triggerTime":"2026-11-25T06:40:00Z","triggerName":"nope","payload":"{}"}'))).rejects.toThrow();
  });
});
