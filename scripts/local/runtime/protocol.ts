import type { FunctionCredentials } from '../ram/function-credentials';
import type { HttpTriggerReply, HttpTriggerRequest, PlainTriggerAnswer } from './http-trigger-event';

/**
 * Messages between the local cloud (main thread) and one function instance (a worker thread).
 * One instance serves one request at a time, as FC 3.0 built-in runtimes do.
 */
export interface InstanceBoot {
  codeDir: string;
  /** `index.handler` */
  handler: string;
  initializer?: string;
  preStop?: string;
  functionName: string;
  /** Where V8 code caches of bundles are kept (see `bundle-loader.ts`); absent: compile every time. */
  codeCacheDir?: string;
  /** The FC context fields every invocation of this instance shares: sent once, not with every request (D49). */
  context: FunctionContext;
  /** Where the instance notes the local ports of its connections as its own (`caller-ports.ts`, D143). */
  callerPorts?: SharedArrayBuffer;
  /** This instance's number in that table (> 0). */
  instanceNumber?: number;
}

/** The first message to a standby thread (`standby-instances.ts`): the function it becomes, and that function's environment. */
export interface StandbyTakeover {
  type: 'boot';
  boot: InstanceBoot;
  env: Record<string, string>;
}

/** The part of the FC context that is the same for every invocation of a function. */
export interface FunctionContext {
  /** The role's STS credentials; `{}` for a function without a role, as on FC (D157). */
  credentials: FunctionCredentials;
  function: { name: string; handler: string; memory: number; timeout: number };
  service: { logProject: string; logStore: string; qualifier: string };
  region: string;
  accountId: string;
}

/** The serialisable part of the FC context; the worker adds `logger`. */
export interface ContextData extends FunctionContext {
  requestId: string;
  retryCount: number;
  tracing: { openTracingSpanBaggages: Record<string, string> };
}

/** What changes from one invocation to the next; the instance adds its FunctionContext. */
export interface InvocationIds {
  requestId: string;
  retryCount: number;
}

/**
 * An invocation's input: the event bytes, or — for an HTTP trigger — the request's parts, from which the
 * instance builds FC's HTTP trigger event itself and maps the answer to the HTTP response (`reply`).
 */
export type InvocationInput = { event: Uint8Array; http?: undefined } | { http: HttpTriggerRequest; event?: undefined };

export type ToInstance =
  | ({ type: 'invoke'; id: number; ids: InvocationIds } & InvocationInput)
  | { type: 'initialize'; id: number; ids: InvocationIds }
  | { type: 'preStop'; id: number; ids: InvocationIds };

/**
 * An HTTP trigger's invocation as it is posted to an instance: the same message, positional (D126). Structured clone
 * writes an object's property names and the reader looks each one up and internalises it, searching the map
 * transitions of an isolate that holds a whole bundle's object shapes: ~16 names per request, ~10 % of a cached
 * page's instance CPU. `httpInvocation` and `fromHttpInvocation` are the two ends; every other message stays an object.
 */
export type HttpInvocation = readonly [id: number, requestId: string, retryCount: number, method: string, rawPath: string, search: string, rawHeaders: string[], body: Uint8Array, httpVersion: string, sourceIp: string, invocationRequestId: string, accountId: string, timeEpoch: number];

export function httpInvocation(id: number, ids: InvocationIds, http: HttpTriggerRequest): HttpInvocation {
  return [id, ids.requestId, ids.retryCount, http.method, http.rawPath, http.search, http.rawHeaders, http.body, http.httpVersion, http.sourceIp, http.requestId, http.accountId, http.timeEpoch];
}

export function fromHttpInvocation(m: HttpInvocation): ToInstance {
  const http: HttpTriggerRequest = { method: m[3], rawPath: m[4], search: m[5], rawHeaders: m[6], body: m[7], httpVersion: m[8], sourceIp: m[9], requestId: m[10], accountId: m[11], timeEpoch: m[12] };
  return { type: 'invoke', id: m[0], http, ids: { requestId: m[1], retryCount: m[2] } };
}

export interface FunctionErrorBody {
  errorMessage: string;
  errorType: string;
  /** Node.js: the stack's lines. Python (D131): FC's frames, each `['File "…"', 'line n', 'in f', 'code']`. */
  stackTrace?: (string | string[])[];
}

export type FromInstance =
  /**
   * `osThreadId`: the worker's Linux thread id (`/proc/self/task/<id>`), for per-thread CPU accounting; absent elsewhere.
   * `calls`: the thread's call clock (`call-clock.ts`, D125), shared, written by the thread and read by the pool.
   */
  | { type: 'ready'; osThreadId?: number; calls?: SharedArrayBuffer }
  | { type: 'boot-error'; error: FunctionErrorBody }
  /** A standby thread has compiled its bundle and waits to be taken (`standby-instances.ts`, D87). */
  | { type: 'standing-by' }
  | { type: 'log'; id: number | null; text: string }
  | { type: 'done'; id: number; ok: true; payload: Uint8Array; reply?: HttpTriggerReply; heapMb: number }
  | AnsweredInvocation
  | { type: 'done'; id: number; ok: false; error: FunctionErrorBody; heapMb: number };

/**
 * An HTTP trigger's answer handed over as it is (`plainTriggerAnswer`, D63; the payload is its JSON), posted positional
 * for the reason `HttpInvocation` is (D126): the main thread, which every request shares, reads no names of the wrapper.
 */
export type AnsweredInvocation = readonly [id: number, heapMb: number, answer: PlainTriggerAnswer];

export function isAnswered(message: FromInstance): message is AnsweredInvocation {
  return Array.isArray(message);
}
