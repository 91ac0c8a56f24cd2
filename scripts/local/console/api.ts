import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AsyncInvoker } from '../runtime/async-invoker';
import { z } from 'zod';
import { FlowApiError } from '../flow-engine/errors';
import { FunctionNotFoundError, type Fault, type FunctionRuntime, type InvocationRecord } from '../runtime/runtime';
import type { Timers } from '../runtime/timers';
import { sendJson, type Mount } from '../gateway/server';
import { stopFromConsole, withTaskStatus } from './async-tasks';
import { decodeSegment, limitParam } from './query';

/** The most a list of the console shows at once (the runtime keeps this many invocations). */
const HISTORY_SIZE = 1000;

/**
 * The local console's JSON API under `/_local/api/`. Reads are side-effect free; the few controls
 * (run a timer now, invoke, inject a fault) say so in their method (POST/PUT/DELETE).
 */
export interface ConsoleDeps {
  runtime: FunctionRuntime;
  asyncInvoker: AsyncInvoker;
  timers: Timers;
  /** Extra read-only sections contributed by emulators (buckets, tables, …). */
  sections?: Record<string, (url: URL) => unknown>;
}

function summarize(record: InvocationRecord, full: boolean) {
  const payload = record.payload.toString('utf8');
  return {
    ...record,
    payload: full ? payload : payload.slice(0, 2000),
    logs: full ? record.logs : record.logs.slice(-4000),
  };
}

/**
 * What `GET /_local/api/` answers: every route of the console's API, this module's and those mounted beside it
 * (endpoints.ts, flows.ts, mns-cloud.ts, the emulators' sections in cloud.ts). A test calls each listed read.
 */
export const CONSOLE_ROUTES: ReadonlyArray<{ method: string; path: string; what: string }> = [
  { method: 'GET', path: '/_local/api/endpoints', what: 'every service endpoint, the region and the local credentials' },
  { method: 'GET', path: '/_local/api/functions', what: 'the functions with their instances' },
  { method: 'POST', path: '/_local/api/functions/<function>/invoke', what: 'invoke once with the request body as the event' },
  { method: 'PUT', path: '/_local/api/functions/<function>/fault', what: 'slow or fail a function: {"delayMs":500} or {"error":"boom"}, with "times":3 to stop after three' },
  { method: 'DELETE', path: '/_local/api/functions/<function>/fault', what: 'clear the fault' },
  { method: 'GET', path: '/_local/api/invocations?fn=&limit=', what: 'the latest invocations with their logs' },
  { method: 'GET', path: '/_local/api/invocations/<requestId>', what: 'one invocation, its event, result and logs' },
  { method: 'GET', path: '/_local/api/async?limit=', what: 'async invocations and events with their attempts; a task-mode function\'s with task_id and task_status (D159)' },
  { method: 'POST', path: '/_local/api/async/<taskId>/stop?fn=<function>', what: 'stop an Enqueued, Retrying or Running async task as StopAsyncTask does (404 unknown task, 400 one that has ended) (D162)' },
  { method: 'GET', path: '/_local/api/timers', what: 'timers with their next run' },
  { method: 'POST', path: '/_local/api/timers/<function>/run', what: 'run a timer now' },
  { method: 'GET', path: '/_local/api/tables', what: 'TableStore tables' },
  { method: 'GET', path: '/_local/api/streams', what: 'TableStore stream triggers and their cursors' },
  { method: 'GET', path: '/_local/api/buckets', what: 'OSS buckets, their versioning (status, noncurrent versions, delete markers; null when never enabled) and their first objects' },
  { method: 'GET', path: '/_local/api/queues', what: 'MNS queues with their counts' },
  { method: 'GET', path: '/_local/api/queues/<queue>', what: 'one queue, its first messages (peeked) and dead-lettered ones' },
  { method: 'POST', path: '/_local/api/queues/<queue>/redrive', what: 'move dead-lettered messages back' },
  { method: 'GET', path: '/_local/api/topics', what: 'MNS topics with their subscriptions' },
  { method: 'GET', path: '/_local/api/mns/pushes', what: 'the push outbox' },
  { method: 'GET', path: '/_local/api/mns/triggers', what: 'MNS queue triggers with delivered and failed counts' },
  { method: 'GET', path: '/_local/api/flows', what: 'CloudFlow flows with their latest executions' },
  { method: 'GET', path: '/_local/api/executions?flow=&status=&limit=', what: 'executions, newest first' },
  { method: 'GET', path: '/_local/api/executions/<flow>/<execution>', what: 'one execution step by step' },
  { method: 'GET', path: '/_local/api/denials?limit=', what: 'what a trigger\'s, destination\'s or flow\'s role was refused, newest first (D152)' },
  { method: 'GET', path: '/_local/api/health', what: 'answers {"ok":true}' },
];

export function consoleApi(deps: ConsoleDeps): Mount {
  const { runtime, asyncInvoker, timers } = deps;
  return async (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<boolean> => {
    if (!url.pathname.startsWith('/_local/api/')) return false;
    const method = req.method ?? 'GET';
    try {
      const parts = url.pathname.slice('/_local/api/'.length).split('/').map(decodeSegment);
      const [section, name, action, extra] = parts;
      if (section === 'health') return done(res, 200, { ok: true });
      if (section === '' && parts.length === 1 && method === 'GET') return done(res, 200, { routes: CONSOLE_ROUTES });
      if (section === 'functions' && !name && method === 'GET') {
        const stats = new Map(runtime.poolStats().map((s) => [s.name, s]));
        return done(res, 200, runtime.functions.map((fn) => ({ ...fn, instances: stats.get(fn.name)?.instances ?? 0, busy: stats.get(fn.name)?.busy ?? 0 })));
      }
      if (section === 'functions' && name && action === 'invoke' && method === 'POST') {
        const record = await runtime.invoke(name, body, { source: 'console' });
        return done(res, 200, summarize(record, true));
      }
      if (section === 'functions' && name && action === 'fault') {
        // Only PUT sets one: a PATCH or POST set a fault as well before (D147).
        if (method !== 'PUT' && method !== 'DELETE') {
          sendJson(res, 405, { error: { code: 'MethodNotAllowed', message: `${method} is not allowed here: PUT sets a fault, DELETE clears it` } }, { allow: 'PUT, DELETE' });
          return true;
        }
        if (method === 'DELETE') runtime.setFault(name, undefined);
        else runtime.setFault(name, parseFault(body));
        return done(res, 200, { ok: true });
      }
      if (section === 'invocations' && method === 'GET') {
        if (name) {
          const record = runtime.recent({ limit: 1000 }).find((r) => r.requestId === name);
          return record ? done(res, 200, summarize(record, true)) : done(res, 404, { error: { code: 'NotFound', message: `no invocation ${name}` } });
        }
        const fn = url.searchParams.get('fn') || undefined;
        const limit = limitParam(url, 100, HISTORY_SIZE);
        // An unknown function is a 404, as everywhere in this API, not an empty history.
        if (fn && !runtime.find(fn)) throw new FunctionNotFoundError(fn);
        return done(res, 200, runtime.recent({ ...(fn ? { functionName: fn } : {}), limit }).map((r) => summarize(r, false)));
      }
      // Not deeper: a GET of a task's stop path answered 200 null, as if it were an event's id.
      if (section === 'async' && method === 'GET' && parts.length <= 2) {
        if (name) return done(res, 200, asyncInvoker.get(name) ?? null);
        // A task's answer (D159) is text like the payload, shortened alike: not a Buffer's JSON of up to 1 MB of numbers.
        const text = (bytes: Buffer | null | undefined) => (bytes ? bytes.toString('utf8').slice(0, 2000) : null);
        return done(res, 200, asyncInvoker.list(limitParam(url, 100, HISTORY_SIZE)).map((row) => ({ ...withTaskStatus(row), payload: text(row.payload), return_payload: text(row.return_payload) })));
      }
      if (section === 'async' && name && action === 'stop' && parts.length === 3 && method === 'POST') {
        const stopped = stopFromConsole(runtime, asyncInvoker, name, url);
        return done(res, stopped.status, stopped.body);
      }
      if (section === 'timers' && !name && method === 'GET') {
        return done(res, 200, timers.list().map((t) => ({ function: t.fn.name, resource: t.fn.resource, trigger: t.trigger, nextRun: t.nextRun()?.toISOString() ?? null, lastRun: t.lastRun ?? null })));
      }
      if (section === 'timers' && name && method === 'POST' && (action === 'run' || extra === 'run')) {
        // An unknown function is a 404 here too; a known one without that timer stays a 400 naming the trigger.
        if (!runtime.find(name)) throw new FunctionNotFoundError(name);
        const requestId = timers.runNow(name, action === 'run' ? undefined : action);
        return done(res, 202, { requestId });
      }
      const contributed = section ? deps.sections?.[section] : undefined;
      if (contributed && method === 'GET') return done(res, 200, await contributed(url));
      return done(res, 404, { error: { code: 'NotFound', message: `no console API at ${url.pathname} (GET /_local/api/ lists them)` } });
    } catch (err) {
      const missing = err instanceof FunctionNotFoundError || (err instanceof FlowApiError && err.code.endsWith('NotExists'));
      if (missing) return done(res, 404, { error: { code: 'NotFound', message: err.message } });
      return done(res, 400, { error: { code: 'BadRequest', message: (err as Error).message } });
    }
  };
}

/**
 * A fault as `PUT /_local/api/functions/<fn>/fault` takes it. A misspelt or missing field would otherwise set a
 * fault that does nothing while the answer says it was set: refuse it, naming the field.
 */
const FaultBody = z
  .strictObject({
    delayMs: z.number().int().min(0).max(600_000).optional(),
    error: z.string().min(1).optional(),
    times: z.number().int().min(1).optional(),
  })
  .refine((fault) => fault.delayMs !== undefined || fault.error !== undefined, 'set delayMs or error (DELETE clears the fault)');

function parseFault(body: Buffer): Fault {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new Error('the fault must be a JSON object: {"delayMs": 500} and/or {"error": "boom"}, optionally "times"');
  }
  const parsed = FaultBody.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => (issue.code === 'unrecognized_keys' ? `unknown field ${issue.keys.join(', ')}` : `${issue.path.join('.') || 'fault'}: ${issue.message}`));
    throw new Error(`invalid fault (${issues.join('; ')}); fields: delayMs, error, times`);
  }
  return parsed.data as Fault;
}

function done(res: ServerResponse, status: number, body: unknown): true {
  sendJson(res, status, body);
  return true;
}
