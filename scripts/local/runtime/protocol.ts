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
}

/** The first message to a standby thread (`standby-instances.ts`): the function it becomes, and that function's environment. */
export interface StandbyTakeover {
  type: 'boot';
  boot: InstanceBoot;
  env: Record<string, string>;
}

/** The part of the FC context that is the same for every invocation of a function. */
export interface FunctionContext {
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string };
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

export interface FunctionErrorBody {
  errorMessage: string;
  errorType: string;
  stackTrace?: string[];
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
  /** An HTTP trigger's answer handed over as it is (`plainTriggerAnswer`, D63): the payload is its JSON. */
  | { type: 'done'; id: number; ok: true; answer: PlainTriggerAnswer; heapMb: number }
  | { type: 'done'; id: number; ok: false; error: FunctionErrorBody; heapMb: number };
