/**
 * The TableStore emulator's own thread in the local cloud (`thread.ts` starts it): the emulator with its HTTP
 * server on its own port and its SQLite storage, so the SDK calls of every function instance are served here
 * and not on the main thread that carries the gateway and the other emulators (D85). The main thread asks for
 * the few things it needs without HTTP — set-up calls, the console's table list, the provisioning fingerprint,
 * a sweep — by message, and is told after every commit that appended stream records.
 */
import { readlinkSync } from 'node:fs';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { OtsError, startTableStoreEmulator, type TableStoreEmulator } from './index';
import { LISTEN_NOW, WORKER_STARTED_EVENT, type HeldTable, type RequestLog, type TableStoreThreadBoot, type TableSummary, type ThreadCrash, type ThreadFailure, type ThreadMessage, type ThreadRequest } from './thread-protocol';

const boot = workerData as TableStoreThreadBoot;
const port = parentPort!;
const post = (message: ThreadMessage) => port.postMessage(message);

function failure(err: unknown): ThreadFailure {
  if (err instanceof OtsError) return { status: err.status, code: err.code, message: err.message };
  if (!(err instanceof Error)) return { message: String(err) };
  const { code } = err as NodeJS.ErrnoException;
  return { message: err.message, ...(err.stack ? { stack: err.stack } : {}), ...(code ? { code } : {}) };
}

function tables(emulator: TableStoreEmulator): TableSummary[] {
  const { storage } = emulator;
  return emulator.instances.flatMap((instance) =>
    // Index tables (secondary indexes) are parts of their data table, not tables of the template.
    storage
      .tables(instance)
      .filter((t) => t.meta.indexOf === undefined)
      .map((t) => ({
        instance,
        name: t.meta.name,
        rows: storage.countRows(t),
        ttlSeconds: t.meta.ttlSeconds,
        stream: Boolean(t.meta.stream),
        searchIndexes: storage.searchIndexes(t).map((i) => i.name),
      })),
  );
}

function held(emulator: TableStoreEmulator, named: { instance: string; name: string }[]): HeldTable[] {
  const { storage } = emulator;
  return named.map(({ instance, name }) => {
    const table = storage.table(instance, name);
    if (!table) return { instance, name, missing: true };
    const indexes = storage.searchIndexes(table).map((i) => ({ name: i.name, createdAt: i.createdAt, schema: i.schema.toString('base64') }));
    return { instance, name, id: table.id, meta: table.meta, indexes };
  });
}

/** This thread's Linux thread id (`/proc/thread-self` → `<pid>/task/<tid>`), for per-thread CPU figures. */
function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tests only (D95): fails the way a real fault would, so the supervisor in thread.ts can be shown to restart
 * the thread. Without `crashHooks` in the boot data (the local cloud never sets it) the request is refused.
 */
function crash(how: ThreadCrash): void {
  if (!boot.crashHooks) throw new Error('crash hooks are off in this thread');
  if (how === 'exit') process.exit(70);
  if (how === 'oom') {
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array<number>(100_000).fill(hoard.length));
  }
  if (how === 'block') {
    // Holds the event loop as an endless loop would; only terminate() ends it.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    return;
  }
  setImmediate(() => {
    throw new Error('a crash requested by a test (crashHooks)');
  });
}

/** A restarted thread's port is held by the main thread's stand-in until it is told to take it (thread.ts). */
function portReleased(): Promise<void> {
  return new Promise((resolve) => {
    port.once('message', (message: unknown) => {
      if (message === LISTEN_NOW) resolve();
    });
    post({ type: 'readyToListen' });
  });
}

async function main(): Promise<void> {
  const countsByOperation: Record<string, number> = {};
  let emulator: TableStoreEmulator;
  try {
    emulator = await startTableStoreEmulator({
      dataDir: boot.dataDir,
      instances: boot.instances,
      port: boot.port,
      ...(boot.host ? { host: boot.host } : {}),
      ...(boot.access ? { access: boot.access } : {}),
      onRequest: (record) => (countsByOperation[record.operation] = (countsByOperation[record.operation] ?? 0) + 1),
      ...(boot.waitForPort ? { beforeListen: portReleased } : {}),
    });
  } catch (err) {
    post({ type: 'startFailed', error: failure(err) });
    return;
  }
  emulator.onStreamRecords((ids) => post({ type: 'streamRecords', streamIds: [...ids] }));

  const handle = async (request: ThreadRequest): Promise<unknown> => {
    switch (request.type) {
      case 'call':
        return emulator.call(request.instance, request.operation, request.body);
      case 'sweep':
        return emulator.sweep();
      case 'tables':
        return tables(emulator);
      case 'held':
        return held(emulator, request.tables);
      case 'requests':
        return { recent: [...emulator.requests], countsByOperation: { ...countsByOperation }, internalErrors: emulator.internalErrors.map((e) => e.stack ?? e.message) } satisfies RequestLog;
      case 'close':
        return emulator.close();
      case 'crash':
        return crash(request.how);
      case 'ping':
        return undefined;
    }
  };
  port.on('message', (request: ThreadRequest) => {
    handle(request).then(
      (value) => {
        post({ type: 'reply', id: request.id, ok: true, value });
        // Closed: nothing keeps this thread alive any more, so it ends by itself.
        if (request.type === 'close') port.close();
      },
      (err: unknown) => post({ type: 'reply', id: request.id, ok: false, error: failure(err) }),
    );
  });
  post({ type: 'listening', port: emulator.port!, endpoint: emulator.endpoint, threadId, osThreadId: osThreadId() });
  // The loader saves this thread's code cache now (thread.ts): it then holds what start-up compiled.
  process.emit(WORKER_STARTED_EVENT as never);
}

void main();
