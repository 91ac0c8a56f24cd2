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
import type { AccessSettings } from '../../ram/access';
import { LISTEN_NOW, WORKER_STARTED_EVENT, type HeldTable, type RequestLog, type TableStoreThreadBoot, type TableSummary, type ThreadCrash, type ThreadFailure, type ThreadMessage, type ThreadRequest } from './thread-protocol';
import { DEFAULT_RESTART_POLICY, RestartBudget, type RestartPolicy } from './thread-restarts';
import { startStandIn, type StandIn } from './thread-stand-in';

export type { HeldTable, RequestLog, TableSummary } from './thread-protocol';

export interface TableStoreThreadOptions {
  /** Storage in `<dataDir>/tablestore.sqlite`. */
  dataDir: string;
  instances: readonly string[];
  host?: string;
  /** 0: a free port. */
  port: number;
  /** RAM roles the emulator holds functions' keys to (D144). */
  access?: AccessSettings;
  /** How restarts after the thread died are paced (D95; default `DEFAULT_RESTART_POLICY`). */
  restarts?: Partial<RestartPolicy>;
  /**
   * A thread that does not answer a ping for `hangMs` (an endless loop, a deadlock) is ended and restarted like
   * a dead one; checked every `checkMs`. Default 30 s / 5 s; false: not watched.
   */
  watchdog?: { hangMs: number; checkMs: number } | false;
  /** Where the supervisor says what happened to the thread, one line per event (default: stderr). */
  onNotice?: (line: string) => void;
  /** Tests only: the thread obeys `crashForTesting('throw' | 'exit' | 'oom' | 'block')`. The local cloud never sets it. */
  crashHooks?: boolean;
  /** The thread's heap limit (MB); default Node's. Node ends a worker that runs out of heap, not the process. */
  maxHeapMb?: number;
}

/** How the supervised thread is doing (D95). */
export interface ThreadHealth {
  state: 'running' | 'restarting' | 'given-up' | 'closed';
  /** Restarts after a death since the start. */
  restarts: number;
  /** The last death's cause, in a line. */
  lastDeath?: string;
}

export interface TableStoreThread {
  /** `http://127.0.0.1:<port>`, served by the emulator's thread. */
  endpoint: string;
  port: number;
  instances: readonly string[];
  /** The worker thread's id (`worker_threads.threadId` inside it): not the main thread's 0; a restart's is new. */
  threadId: number;
  /** Its Linux thread id (`/proc/self/task/<id>`: its CPU time), where /proc has one. */
  osThreadId: number | undefined;
  /** Called after every commit that appended stream records; returns an unsubscribe function. */
  onStreamRecords(listener: (streamIds: ReadonlySet<string>) => void): () => void;
  /** Called after the thread was started again after a death; returns an unsubscribe function. */
  onRestart(listener: () => void): () => void;
  health(): ThreadHealth;
  /** Resolves when a thread is running (at once, or after the restart under way); rejects once given up. */
  whenRunning(): Promise<void>;
  /**
   * Tests only: ends the thread as a fault would — `terminate` from outside (always available), or with
   * `crashHooks` from inside: an uncaught exception, `process.exit`, running out of heap, or a blocked event loop.
   */
  crashForTesting(how: 'terminate' | ThreadCrash): Promise<void>;
  /** Runs one operation without HTTP or signature; rejects with the OtsError a client would receive. While the thread restarts it waits for it. */
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

type Listening = Extract<ThreadMessage, { type: 'listening' }>;

/** One run of the worker: from its start to its exit. A restart is a new incarnation on the same port. */
interface Incarnation {
  worker: Worker;
  listening: Listening;
  pending: Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>;
  /** Why it stopped answering (its uncaught error, or its exit), once it did. */
  gone?: Error;
}

interface LaunchHooks {
  onStreamRecords(streamIds: ReadonlySet<string>): void;
  /** With `waitForPort`: storage is open; resolve once the port is free for the thread to bind. */
  releasePort?(): Promise<void>;
  /** The incarnation exited after it had listened; `cause` is its uncaught error or its exit code. */
  onExit(incarnation: Incarnation, cause: Error): void;
}

/** Starts one worker and resolves once its port is bound; a start that fails rejects (and the worker is ended). */
async function launch(boot: TableStoreThreadBoot, hooks: LaunchHooks, maxHeapMb: number | undefined): Promise<Incarnation> {
  const worker: Worker = startWorkerWithoutRefusedFlags(workerScript(), { eval: true, workerData: boot, execArgv: instanceExecArgv(), ...(maxHeapMb ? { resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } } : {}) });
  const incarnation: Incarnation = { worker, listening: undefined as unknown as Listening, pending: new Map() };
  let listened = false;
  const started = new Promise<Listening>((resolve, reject) => {
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'listening') {
        listened = true;
        resolve((incarnation.listening = message));
      } else if (message.type === 'startFailed') reject(asError(message.error));
      else if (message.type === 'readyToListen') void (hooks.releasePort?.() ?? Promise.resolve()).then(() => worker.postMessage(LISTEN_NOW));
      else if (message.type === 'streamRecords') hooks.onStreamRecords(new Set(message.streamIds));
      else {
        const waiting = incarnation.pending.get(message.id);
        incarnation.pending.delete(message.id);
        if (message.ok) waiting?.resolve(message.value);
        else waiting?.reject(asError(message.error));
      }
    });
    // Calls in flight fail at once with the thread's own error, never wait for an answer that cannot come.
    const stopAnswering = (err: Error) => {
      const cause = (incarnation.gone ??= err);
      reject(cause);
      for (const waiting of incarnation.pending.values()) waiting.reject(cause);
      incarnation.pending.clear();
    };
    worker.on('error', stopAnswering);
    worker.on('exit', (code) => {
      const exited = new Error(`the TableStore emulator's thread exited (code ${code})`);
      // Where the main thread noticed the exit says nothing about why: the notice shows the message alone.
      exited.stack = `Error: ${exited.message}`;
      stopAnswering(exited);
      // Only now is its port closed and its SQLite connection gone: a new thread can take both.
      if (listened) hooks.onExit(incarnation, incarnation.gone!);
    });
  });
  try {
    await started;
    return incarnation;
  } catch (err) {
    await worker.terminate();
    throw err;
  }
}

function ask<T>(incarnation: Incarnation, id: number, request: WithoutId<ThreadRequest>): Promise<T> {
  if (incarnation.gone) return Promise.reject(incarnation.gone);
  return new Promise<T>((resolve, reject) => {
    incarnation.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    incarnation.worker.postMessage({ ...request, id });
  });
}

/** The first lines of an error, for a one-line notice in the terminal (its stack up to its first frames). */
function briefly(err: Error): string {
  return (err.stack ?? err.message).split('\n').slice(0, 3).map((line) => line.trim()).join(' ');
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const DEFAULT_WATCHDOG = { hangMs: 30_000, checkMs: 5_000 };

/**
 * Pings the running thread every `checkMs`; one that leaves a ping unanswered for `hangMs` is stuck (its HTTP
 * clients would wait for ever: the SDK has no default timeout), so it is terminated and the supervisor restarts
 * it. A check that comes late because this thread itself was stalled judges nothing: the answer may be waiting
 * behind the stall. Returns the function that stops watching.
 */
function watchForHang(watchdog: { hangMs: number; checkMs: number }, running: () => Incarnation | undefined, newId: () => number, notice: (line: string) => void): () => void {
  let pinged: { incarnation: Incarnation; at: number } | undefined;
  let lastCheck = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const stalledHere = now - lastCheck > 2 * watchdog.checkMs;
    lastCheck = now;
    const incarnation = running();
    if (!incarnation || incarnation.gone) {
      pinged = undefined;
      return;
    }
    if (pinged?.incarnation === incarnation) {
      if (!stalledHere && now - pinged.at > watchdog.hangMs) {
        notice(`local cloud: the TableStore emulator's thread has not answered for ${Math.round((now - pinged.at) / 1000)} s; ending it to start it again`);
        pinged = undefined;
        void incarnation.worker.terminate();
      }
      return;
    }
    const ping = { incarnation, at: now };
    pinged = ping;
    void ask(incarnation, newId(), { type: 'ping' }).then(
      () => pinged === ping && (pinged = undefined),
      () => undefined,
    );
  }, watchdog.checkMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Starts the emulator's thread and resolves once its port is bound. The thread is supervised (D95): when it
 * dies — an uncaught exception, `process.exit` in it, running out of memory — calls in flight fail at once, the
 * terminal gets one line, and a new thread is started on the same port over the same SQLite file (every
 * acknowledged write was committed before its answer); calls made meanwhile wait for it. After
 * `restarts.maxQuickDeaths` deaths in `restarts.windowMs` it is not started again and every call fails.
 */
export async function startTableStoreThread(options: TableStoreThreadOptions): Promise<TableStoreThread> {
  const boot: TableStoreThreadBoot = {
    dataDir: options.dataDir,
    instances: [...options.instances],
    port: options.port,
    ...(options.host ? { host: options.host } : {}),
    ...(options.crashHooks ? { crashHooks: true } : {}),
    ...(options.access ? { access: options.access } : {}),
  };
  const notice = options.onNotice ?? ((line: string) => process.stderr.write(`${line}\n`));
  const budget = new RestartBudget({ ...DEFAULT_RESTART_POLICY, ...options.restarts });
  const streamListeners = new Set<(ids: ReadonlySet<string>) => void>();
  const restartListeners = new Set<() => void>();
  let nextId = 1;
  let closing = false;
  let restarts = 0;
  let state: ThreadHealth['state'] = 'running';
  let lastDeath: string | undefined;
  /** The running thread, or the restart that will give one (rejected once the supervisor gave up or closed). */
  let current: Promise<Incarnation>;
  /** The thread that last listened (its ids, for the figures per thread). */
  let latest: Incarnation;

  const hooks: LaunchHooks = {
    onStreamRecords(ids) {
      for (const listener of streamListeners) listener(ids);
    },
    onExit(_dead, cause) {
      if (closing) return;
      state = 'restarting';
      lastDeath = briefly(cause);
      current = recover(cause);
      current.catch(() => undefined);
    },
  };

  /** Answers 503 on the port while a new thread starts (thread-stand-in.ts). */
  let standIn: StandIn | undefined;
  const releasePort = async () => {
    const held = standIn;
    standIn = undefined;
    await held?.close();
  };

  /** Starts a new thread after a death, paced by the budget; rejects (loudly) when the budget is spent. */
  const recover = async (cause: Error): Promise<Incarnation> => {
    const diedAt = Date.now();
    let reason = cause;
    for (;;) {
      const pause = budget.afterDeath(Date.now());
      if (pause === undefined) {
        // A refused connection now: a 503 would have the SDK retry reads for nearly a minute.
        await releasePort();
        state = 'given-up';
        const windowS = Math.round((options.restarts?.windowMs ?? DEFAULT_RESTART_POLICY.windowMs) / 1000);
        notice(
          `local cloud: the TableStore emulator's thread died ${budget.quickDeaths} times within ${windowS} s and is NOT restarted again; ` +
            `every TableStore call fails until the local cloud is started again. Last cause: ${reason.stack ?? reason.message}`,
        );
        throw new Error(`the TableStore emulator's thread died ${budget.quickDeaths} times within ${windowS} s and was not restarted: ${reason.message}`);
      }
      const when = pause > 0 ? ` in ${pause} ms` : '';
      notice(
        reason === cause
          ? `local cloud: the TableStore emulator's thread died (${briefly(reason)}); calls in flight failed, restarting it on port ${boot.port} with the same data${when}`
          : `local cloud: the TableStore emulator's thread did not start again (${briefly(reason)}); trying again${when}`,
      );
      standIn ??= await startStandIn(boot.port, boot.host ?? '127.0.0.1');
      await delay(pause);
      if (closing) {
        await releasePort();
        throw new Error("the TableStore emulator's thread is closed");
      }
      try {
        const incarnation = await launch({ ...boot, waitForPort: true }, { ...hooks, releasePort }, options.maxHeapMb);
        restarts++;
        state = 'running';
        latest = incarnation;
        notice(`local cloud: the TableStore emulator's thread is running again on port ${boot.port} (${Date.now() - diedAt} ms after it died; restart ${restarts})`);
        for (const listener of restartListeners) listener();
        return incarnation;
      } catch (err) {
        // A thread that cannot even start (its port taken meanwhile, its data file unreadable) counts as a death.
        reason = err instanceof Error ? err : new Error(String(err));
      }
    }
  };

  current = launch(boot, hooks, options.maxHeapMb);
  const first = await current;
  latest = first;
  // A restart listens where the first thread did, so every client's endpoint stays valid.
  boot.port = first.listening.port;
  const stopWatching = options.watchdog === false ? () => undefined : watchForHang(options.watchdog ?? DEFAULT_WATCHDOG, () => (state === 'running' && !closing ? latest : undefined), () => nextId++, notice);
  const request = async <T>(message: WithoutId<ThreadRequest>): Promise<T> => ask<T>(await current, nextId++, message);
  return {
    endpoint: first.listening.endpoint,
    port: first.listening.port,
    instances: options.instances,
    get threadId() {
      return latest.listening.threadId;
    },
    get osThreadId() {
      return latest.listening.osThreadId;
    },
    onStreamRecords(listener) {
      streamListeners.add(listener);
      return () => streamListeners.delete(listener);
    },
    onRestart(listener) {
      restartListeners.add(listener);
      return () => restartListeners.delete(listener);
    },
    health: () => ({ state: closing ? 'closed' : state, restarts, ...(lastDeath ? { lastDeath } : {}) }),
    call: (instance, operation, body) => request<Uint8Array>({ type: 'call', instance, operation, body }),
    sweep: () => request<void>({ type: 'sweep' }),
    tables: () => request<TableSummary[]>({ type: 'tables' }),
    held: (tables) => request<HeldTable[]>({ type: 'held', tables: tables.map(({ instance, name }) => ({ instance, name })) }),
    requestLog: () => request<RequestLog>({ type: 'requests' }),
    async crashForTesting(how) {
      const incarnation = await current;
      if (how === 'terminate') {
        await incarnation.worker.terminate();
        return;
      }
      if (!options.crashHooks) throw new Error('crashForTesting needs the crashHooks option');
      // No answer comes: the thread fails instead of replying.
      void ask(incarnation, nextId++, { type: 'crash', how }).catch(() => undefined);
    },
    async whenRunning() {
      await current;
    },
    async close() {
      if (closing) return;
      closing = true;
      stopWatching();
      streamListeners.clear();
      restartListeners.clear();
      await releasePort();
      const incarnation = await current.catch(() => undefined);
      if (!incarnation) return;
      // The storage is closed (its last transaction committed) before the thread ends.
      if (!incarnation.gone) await ask<void>(incarnation, nextId++, { type: 'close' }).catch(() => undefined);
      incarnation.gone ??= new Error("the TableStore emulator's thread is closed");
      await incarnation.worker.terminate();
      current = Promise.reject(incarnation.gone);
      current.catch(() => undefined);
    },
  };
}
