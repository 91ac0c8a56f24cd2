/**
 * The local cloud's TableStore emulator in a worker thread of its own (D85). At a high ingest rate the emulator
 * was ~60 % of the main thread's busy time (D81), and every request of every function waited on that one thread;
 * here it has a thread, an HTTP server on its own port and its SQLite connection to itself. Clients reach
 * `TABLESTORE_ENDPOINT` over HTTP as before, so an SDK call makes no extra hop; what the main thread needs
 * without HTTP (set-up calls, the console's table list, the provisioning fingerprint, a sweep) goes by message.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { RUNNING_BUNDLED, SOURCE_DIRS } from '../../paths';
import { devWorkerBundle } from '../../runtime/dev-worker-bundle';
import { instanceExecArgv, startWorkerWithoutRefusedFlags } from '../../runtime/instance';
import { CODE_CACHE_DIR } from '../../runtime/worker-file';
import { OtsError } from './errors';
import { WORKER_STARTED_EVENT, type HeldTable, type RequestLog, type TableStoreThreadBoot, type TableSummary, type ThreadFailure, type ThreadMessage, type ThreadRequest } from './thread-protocol';

export type { HeldTable, RequestLog, TableSummary } from './thread-protocol';

export interface TableStoreThreadOptions {
  /** Storage in `<dataDir>/tablestore.sqlite`. */
  dataDir: string;
  instances: readonly string[];
  host?: string;
  /** 0: a free port. */
  port: number;
}

export interface TableStoreThread {
  /** `http://127.0.0.1:<port>`, served by the emulator's thread. */
  endpoint: string;
  port: number;
  instances: readonly string[];
  /** The worker thread's id (`worker_threads.threadId` inside it): not the main thread's 0. */
  threadId: number;
  /** Its Linux thread id (`/proc/self/task/<id>`: its CPU time), where /proc has one. */
  osThreadId: number | undefined;
  /** Called after every commit that appended stream records; returns an unsubscribe function. */
  onStreamRecords(listener: (streamIds: ReadonlySet<string>) => void): () => void;
  /** Runs one operation without HTTP or signature; rejects with the OtsError a client would receive. */
  call(instance: string, operation: string, body: Uint8Array): Promise<Uint8Array>;
  /** Removes expired cells and stream records now (also done every minute). */
  sweep(): Promise<void>;
  /** Every table with its row count, for the console. */
  tables(): Promise<TableSummary[]>;
  /** What storage holds for these tables (D83's provisioning fingerprint). */
  held(tables: readonly { instance: string; name: string }[]): Promise<HeldTable[]>;
  /** The last requests, every request counted by operation, unexpected errors (tests, benchmarks). */
  requestLog(): Promise<RequestLog>;
  close(): Promise<void>;
}

const ENTRIES = {
  'tablestore-worker': join(SOURCE_DIRS.local, 'emulators', 'tablestore', 'thread-worker.ts'),
  'bundle-loader': join(SOURCE_DIRS.local, 'runtime', 'bundle-loader.ts'),
};

/**
 * The worker's bundle and the bundle loader that loads it with a V8 code cache. The prebuilt start script
 * carries both beside itself (`launch.cjs`); under tsx and jest they are built once into the cache (~0.3 s),
 * and again when a source file they were built from changed.
 */
let cachedFiles: { worker: string; loader: string } | undefined;

export function tableStoreWorkerFiles(): { worker: string; loader: string } {
  if (cachedFiles) return cachedFiles;
  const beside = { worker: join(__dirname, 'tablestore-worker.js'), loader: join(__dirname, 'bundle-loader.js') };
  if (RUNNING_BUNDLED && existsSync(beside.worker) && existsSync(beside.loader)) return (cachedFiles = beside);
  const built = devWorkerBundle('tablestore-worker', ENTRIES, {
    external: ['better-sqlite3'],
    // A code-cached script cannot run a dynamic import() on Node 20 (D30).
    supported: { 'dynamic-import': false },
    keepNames: true,
  });
  return (cachedFiles = { worker: built['tablestore-worker'], loader: built['bundle-loader'] });
}

/**
 * What the `Worker` runs (with `eval: true`): the worker's bundle loaded with a V8 code cache, as the
 * launcher loads the start script — compiling its 2 MB (the SDK's protobuf roots are most of it) is ~50 ms
 * of the ~100 ms the thread takes to listen, on the start's critical path.
 */
function workerScript(): string {
  const { worker, loader } = tableStoreWorkerFiles();
  return [
    `const loaded = require(${JSON.stringify(loader)}).loadBundle(${JSON.stringify(worker)}, ${JSON.stringify(CODE_CACHE_DIR)}, { noDynamicImport: true });`,
    `process.once(${JSON.stringify(WORKER_STARTED_EVENT)}, () => loaded.saveCodeCache());`,
  ].join('\n');
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** The error as the thread had it: an OtsError, or an error with its message, stack and code (`EADDRINUSE`…). */
function asError(failure: ThreadFailure): Error {
  if (failure.code && failure.status) return new OtsError(failure.status, failure.code, failure.message);
  const error = Object.assign(new Error(failure.message), failure.code ? { code: failure.code } : {});
  if (failure.stack) error.stack = failure.stack;
  return error;
}

/**
 * Starts the emulator's thread and resolves once its port is bound.
 * @example const ots = await startTableStoreThread({ dataDir: '.data', instances: ['fcsuite-dev'], port: 9002 });
 */
export async function startTableStoreThread(options: TableStoreThreadOptions): Promise<TableStoreThread> {
  const boot: TableStoreThreadBoot = { dataDir: options.dataDir, instances: [...options.instances], port: options.port, ...(options.host ? { host: options.host } : {}) };
  const worker: Worker = startWorkerWithoutRefusedFlags(workerScript(), { eval: true, workerData: boot, execArgv: instanceExecArgv() });
  const listeners = new Set<(ids: ReadonlySet<string>) => void>();
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  let nextId = 1;
  let closing = false;
  let gone: Error | undefined;

  const started = new Promise<Extract<ThreadMessage, { type: 'listening' }>>((resolve, reject) => {
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'listening') resolve(message);
      else if (message.type === 'startFailed') reject(asError(message.error));
      else if (message.type === 'streamRecords') {
        const ids = new Set(message.streamIds);
        for (const listener of listeners) listener(ids);
      } else {
        const waiting = pending.get(message.id);
        pending.delete(message.id);
        if (message.ok) waiting?.resolve(message.value);
        else waiting?.reject(asError(message.error));
      }
    });
    const end = (err: Error) => {
      gone ??= err;
      reject(err);
      for (const waiting of pending.values()) waiting.reject(err);
      pending.clear();
      // Every function's table calls would now fail: said where a person sees it, not only in their errors.
      if (!closing) process.stderr.write(`local cloud: the TableStore emulator's thread stopped: ${err.stack ?? err.message}\n`);
    };
    worker.on('error', end);
    worker.on('exit', (code) => end(new Error(`the TableStore emulator's thread exited (code ${code})`)));
  });

  const ask = <T>(request: WithoutId<ThreadRequest>): Promise<T> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...request, id });
    });
  };

  let listening: Extract<ThreadMessage, { type: 'listening' }>;
  try {
    listening = await started;
  } catch (err) {
    closing = true;
    await worker.terminate();
    throw err;
  }
  return {
    endpoint: listening.endpoint,
    port: listening.port,
    instances: options.instances,
    threadId: listening.threadId,
    osThreadId: listening.osThreadId,
    onStreamRecords(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    call: (instance, operation, body) => ask<Uint8Array>({ type: 'call', instance, operation, body }),
    sweep: () => ask<void>({ type: 'sweep' }),
    tables: () => ask<TableSummary[]>({ type: 'tables' }),
    held: (tables) => ask<HeldTable[]>({ type: 'held', tables: tables.map(({ instance, name }) => ({ instance, name })) }),
    requestLog: () => ask<RequestLog>({ type: 'requests' }),
    async close() {
      if (closing) return;
      closing = true;
      listeners.clear();
      // The storage is closed (its last transaction committed) before the thread ends.
      if (!gone) await ask<void>({ type: 'close' }).catch(() => undefined);
      gone ??= new Error("the TableStore emulator's thread is closed");
      await worker.terminate();
    },
  };
}
