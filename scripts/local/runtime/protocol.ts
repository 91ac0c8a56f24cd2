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
}

/** The serialisable part of the FC context; the worker adds `logger`. */
export interface ContextData {
  requestId: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  function: { name: string; handler: string; memory: number; timeout: number };
  service: { logProject: string; logStore: string; qualifier: string };
  region: string;
  accountId: string;
  retryCount: number;
  tracing: { openTracingSpanBaggages: Record<string, string> };
}

export type ToInstance =
  | { type: 'invoke'; id: number; event: Uint8Array; context: ContextData }
  | { type: 'initialize'; id: number; context: ContextData }
  | { type: 'preStop'; id: number; context: ContextData };

export interface FunctionErrorBody {
  errorMessage: string;
  errorType: string;
  stackTrace?: string[];
}

export type FromInstance =
  | { type: 'ready' }
  | { type: 'boot-error'; error: FunctionErrorBody }
  | { type: 'log'; id: number | null; text: string }
  | { type: 'done'; id: number; ok: true; payload: Uint8Array; heapMb: number }
  | { type: 'done'; id: number; ok: false; error: FunctionErrorBody; heapMb: number };
