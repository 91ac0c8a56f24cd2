/**
 * One FC function instance, running in a worker thread. Loaded by `instance.ts`; compiled on the fly
 * with esbuild so it runs the same under tsx, jest and plain node.
 *
 * It loads the function's deployable bundle (the same file `s deploy` uploads), then serves one
 * invocation at a time with FC 3.0's contract: `handler(event: Buffer, context[, callback])`. Everything the
 * instance writes to stdout/stderr is sent to the main thread tagged with the current invocation, on the
 * same channel as results, so logs are never reordered after their result.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readlinkSync } from 'node:fs';
import { format } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { prepareBundle, type PreparedBundle } from './bundle-loader';
import { httpTriggerEventJson, httpTriggerReply, plainTriggerAnswer } from './http-trigger-event';
import { routeRegionalHosts } from './cloud-host-routing';
import { resolveLocalhostNames } from './localhost-names';
import { mapBundleStackTraces } from './stack-source-maps';
import { fromHttpInvocation, type AnsweredInvocation, type FromInstance, type FunctionErrorBody, type HttpInvocation, type InstanceBoot, type InvocationIds, type StandbyTakeover, type ToInstance } from './protocol';
import type { StandbyBoot } from './standby-instances';
import { bundleFileOf } from './worker-script';
import { startCallClock } from './call-clock';
import { noteOwnConnections } from './caller-ports';

/** This instance's function: from workerData, or — for a standby thread — from the message that takes it (D87). */
let boot: InstanceBoot;
const port = parentPort!;
let current: number | null = null;

function send(message: FromInstance, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

function captureStream(stream: NodeJS.WriteStream): void {
  stream.write = ((chunk: string | Uint8Array, encodingOrCallback?: unknown, callback?: unknown) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    send({ type: 'log', id: current, text });
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (typeof done === 'function') (done as () => void)();
    return true;
  }) as typeof stream.write;
}
captureStream(process.stdout);
captureStream(process.stderr);
// A function's own ali-oss client with default (virtual-host) options reaches `<bucket>.localhost`.
resolveLocalhostNames();
// Whether a parked instance waits on a call or on a timer (D125): counted from before the function's code loads.
const callClock = startCallClock();

/** One level of FC's context.logger, which prints `<ISO time> <requestId> [LEVEL] message`. */
function logLine(requestId: string, level: string) {
  return (...args: unknown[]) => {
    process.stdout.write(`${new Date().toISOString()} ${requestId} [${level}] ${format(...args)}\n`);
  };
}

/** Made for every invocation: the helper is a module function, not a named closure per call (the bundle keeps names, D101). */
function makeLogger(requestId: string) {
  return { debug: logLine(requestId, 'DEBUG'), info: logLine(requestId, 'INFO'), warn: logLine(requestId, 'WARNING'), error: logLine(requestId, 'ERROR'), log: logLine(requestId, 'INFO') };
}

function toErrorBody(err: unknown): FunctionErrorBody {
  if (err instanceof Error) {
    return {
      errorMessage: err.message,
      errorType: err.name || 'Error',
      // Frames of this runtime shim are noise to the function author: keep the function's own.
      stackTrace: (err.stack ?? '')
        .split('\n')
        .slice(1)
        .map((l) => l.trim())
        .filter((l) => l && !l.includes('instance-worker') && !l.includes('[worker eval]') && !l.includes('node:internal')),
    };
  }
  return { errorMessage: String(err), errorType: 'Error' };
}

const utf8 = new TextEncoder();

/**
 * FC return mapping: Buffer as is, string as UTF-8, undefined as empty, anything else as JSON. The result
 * is a fresh Uint8Array of exactly its length, so its buffer can be transferred (not copied) to the main
 * thread; TextEncoder makes it in one copy (`Buffer.from` would use the shared pool and need another).
 * `text` is the payload as text when it was made from text (an HTTP trigger's answer is read from it).
 */
function encodeResult(result: unknown): { bytes: Uint8Array; text?: string } {
  if (Buffer.isBuffer(result) || result instanceof Uint8Array) return { bytes: new Uint8Array(result) };
  if (result === undefined || result === null) return { bytes: new Uint8Array(0), text: '' };
  const text = typeof result === 'string' ? result : JSON.stringify(result);
  return { bytes: utf8.encode(text), text };
}

/** The isolate's used heap (`process.memoryUsage()` would also read the process RSS from /proc each time). */
function heapMb(): number {
  return Math.round((getHeapStatistics().used_heap_size / 1048576) * 10) / 10;
}

/** This thread's Linux thread id (`/proc/thread-self` → `<pid>/task/<tid>`); undefined where /proc has no such link. */
function osThreadId(): number | undefined {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop()) || undefined;
  } catch {
    return undefined;
  }
}

type Exported = (...args: unknown[]) => unknown;
let mod: Record<string, unknown>;
let saveCodeCache: () => void = () => undefined;

function exportOf(handler: string): Exported {
  const name = handler.slice(handler.lastIndexOf('.') + 1);
  const fn = mod[name];
  if (typeof fn !== 'function') throw Object.assign(new Error(`handler "${handler}" is not exported as a function`), { name: 'HandlerNotFound' });
  return fn as Exported;
}

/**
 * The FC context of one invocation: the function's part came once with the boot data; every invocation gets
 * objects of its own (a handler that changes its context changes nothing for the next one).
 */
function contextFor(ids: InvocationIds) {
  const shared = boot.context;
  return {
    requestId: ids.requestId,
    credentials: { ...shared.credentials },
    function: { ...shared.function },
    service: { ...shared.service },
    region: shared.region,
    accountId: shared.accountId,
    retryCount: ids.retryCount,
    tracing: { openTracingSpanBaggages: {} },
    logger: makeLogger(ids.requestId),
  };
}

/**
 * FC's Node.js runtimes hand a handler (and an initializer or pre-stop hook) a callback after its arguments:
 * `handler(event, context, callback)`, required before Node.js 18 and still honoured by nodejs18/20, where an
 * async handler is the recommended form. A function that declares the callback answers through it — the first
 * call counts, `callback(err)` fails the invocation — or through the value its promise resolves to, whichever
 * comes first; one that never calls it and returns nothing times out, as on FC. A function that does not declare
 * it answers with what it returns.
 */
function callHandler(fn: Exported, args: unknown[]): Promise<unknown> {
  if (fn.length <= args.length) return Promise.resolve(fn(...args));
  return new Promise((resolve, reject) => {
    let answered = false;
    const callback = (err?: unknown, value?: unknown) => {
      if (answered) return;
      answered = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(value);
    };
    const returned = fn(...args, callback) as { then?: unknown } | undefined;
    if (returned && typeof returned.then === 'function') {
      (returned as Promise<unknown>).then(
        (value) => value !== undefined && callback(null, value),
        (err: unknown) => callback(err ?? new Error('the handler\'s promise was rejected without a reason')),
      );
    }
  });
}

async function run(message: ToInstance): Promise<void> {
  current = message.id;
  try {
    let result: unknown;
    if (message.type === 'invoke') {
      // The event as bytes the function owns (a view of the transferred buffer: no copy), or built here from an HTTP request.
      const event = message.http ? Buffer.from(httpTriggerEventJson(message.http)) : Buffer.from(message.event.buffer, message.event.byteOffset, message.event.byteLength);
      result = await callHandler(exportOf(boot.handler), [event, contextFor(message.ids)]);
    } else {
      const hook = message.type === 'initialize' ? boot.initializer : boot.preStop;
      if (hook) await callHandler(exportOf(hook), [contextFor(message.ids)]);
    }
    const http = message.type === 'invoke' && message.http !== undefined;
    const answer = http ? plainTriggerAnswer(result) : undefined;
    if (answer) {
      // The common case of an HTTP function: nothing to serialise here nor to parse in the gateway (D63).
      send([message.id, heapMb(), answer] satisfies AnsweredInvocation);
    } else {
      const payload = encodeResult(result);
      const transfer = [payload.bytes.buffer as ArrayBuffer];
      let reply: ReturnType<typeof httpTriggerReply>;
      if (http) {
        // FC's HTTP trigger reads the answer as JSON: mapped here, beside the function, not in the gateway's thread.
        reply = httpTriggerReply(payload.text ?? Buffer.from(payload.bytes.buffer, payload.bytes.byteOffset, payload.bytes.byteLength).toString('utf8'));
        if (reply) transfer.push(reply.body.buffer as ArrayBuffer);
      }
      send({ type: 'done', id: message.id, ok: true, payload: payload.bytes, ...(reply ? { reply } : {}), heapMb: heapMb() }, transfer);
    }
  } catch (err) {
    send({ type: 'done', id: message.id, ok: false, error: toErrorBody(err), heapMb: heapMb() });
  } finally {
    current = null;
  }
  // After the answer is sent: the cache then holds the code this request ran, at no cost to its latency.
  if (message.type === 'invoke') saveCodeCache();
}

// An exception that escapes the handler's promise crashes an FC instance; here it fails the current
// invocation and the main thread retires this instance.
process.on('uncaughtException', (err) => {
  if (current !== null) send({ type: 'done', id: current, ok: false, error: toErrorBody(err), heapMb: heapMb() });
  process.exit(1);
});
process.on('unhandledRejection', (reason) => {
  if (current !== null) send({ type: 'done', id: current, ok: false, error: toErrorBody(reason), heapMb: heapMb() });
  process.exit(1);
});

/** Loads the function's bundle (`prepared`: the one a standby compiled, if it is still this function's file) and reports ready. */
function start(prepared?: PreparedBundle): void {
  try {
    // Before the function's code runs: its clients may name the region's endpoints rather than the local ones (D124).
    routeRegionalHosts(boot.context.region, process.env);
    // A synchronous call it makes to the local cloud is classed by its own invocation (D143).
    if (boot.callerPorts && boot.instanceNumber) noteOwnConnections(boot.callerPorts, boot.instanceNumber);
    const bundleFile = bundleFileOf(boot.codeDir, boot.handler);
    mapBundleStackTraces(bundleFile);
    const usable = prepared && prepared.file === bundleFile && prepared.cacheDir === boot.codeCacheDir && prepared.isCurrent();
    const bundle = (usable ? prepared : prepareBundle(bundleFile, boot.codeCacheDir)).run();
    mod = bundle.exports;
    saveCodeCache = bundle.saveCodeCache;
    exportOf(boot.handler);
    // An HTTP invocation arrives positional (protocol.ts `HttpInvocation`, D126), every other message as an object.
    port.on('message', (message: ToInstance | HttpInvocation) => void run(Array.isArray(message) ? fromHttpInvocation(message as HttpInvocation) : (message as ToInstance)));
    send({ type: 'ready', osThreadId: osThreadId(), calls: callClock });
  } catch (err) {
    send({ type: 'boot-error', error: toErrorBody(err) });
  }
}

/**
 * Built-in modules the SDK bundles of the product page's functions all load at their top level or first request
 * (measured, D87): loaded while standing by, they are compiled before the function is known. Loading one changes
 * nothing a function can see; ones a function would not load (TLS, zlib…) are left out, as they would cost CPU for
 * nothing.
 */
const COMMON_BUILTINS = ['node:http', 'node:crypto', 'node:url', 'node:os', 'node:assert', 'node:perf_hooks'];

const standby = (workerData as Partial<StandbyBoot>).standby;
if (standby) {
  // Everything that does not depend on the function's environment; nothing of the bundle runs before it is known.
  let prepared: PreparedBundle | undefined;
  try {
    prepared = prepareBundle(standby.bundleFile, standby.codeCacheDir);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const name of COMMON_BUILTINS) require(name);
  } catch {
    // the instance compiles its bundle when it is taken, and reports what is wrong then
  }
  send({ type: 'standing-by' });
  port.once('message', (takeover: StandbyTakeover) => {
    for (const key of Object.keys(process.env)) delete process.env[key];
    Object.assign(process.env, takeover.env);
    boot = takeover.boot;
    start(prepared);
  });
} else {
  boot = workerData as InstanceBoot;
  start();
}
