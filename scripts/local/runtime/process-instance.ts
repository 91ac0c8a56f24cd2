import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { connect, createServer } from 'node:net';
import { setTimeout as pause } from 'node:timers/promises';
import { credentialHeaders } from '../ram/function-credentials';
import { isPythonRuntime } from '../spec/custom-runtime';
import type { CustomHealthCheckSpec, CustomRuntimeSpec, FunctionSpec } from '../spec/model';
import { INSTANCE_MARK_VARIABLE, killMarked, killMarkedSync, newInstanceMark } from './instance-marks';
import type { InstancePids } from './instance-pids';
import { httpTriggerEventJson, httpTriggerReply, isReservedResponseHeader, type HttpTriggerReply, type HttpTriggerRequest } from './http-trigger-event';
import { failedOutcome, type InstanceOutcome, type InvokeInput, type ParkedOn, type PoolInstance } from './instance';
import type { FunctionContext, FunctionErrorBody, InvocationIds } from './protocol';
import { threadsOfProcess, yieldThreads, type InvocationClass } from './priority';
import { pythonLaunch } from './python-runtime';
import { StallAwareTimeout } from './stall-clock';

/**
 * One instance of a custom-runtime function (D123): the server s.yaml's `customRuntimeConfig` names, started as a
 * process on the host in the code folder, to which every invocation is forwarded over HTTP — as FC forwards it to
 * the server in its Debian sandbox. FC's contract, from its docs (custom runtime specification, event handlers,
 * web functions, lifecycle hooks):
 * - the server listens on the port in FC_SERVER_PORT / FC_CUSTOM_LISTEN_PORT and must start within 120 s;
 * - every request carries FC's common headers (x-fc-request-id, the temporary credentials, the function's
 *   handler, memory and hooks, region, account, qualifier) and `x-fc-control-path`;
 * - an HTTP trigger's request is passed through as it came (method, path, query, headers, body) and the
 *   server's response is passed back; FC's own x-fc-* request headers cannot be set by a client;
 * - an event invocation is `POST /invoke` with the event as an `application/octet-stream` body; the response
 *   body is the result, and status 404 or `x-fc-status: 404` reports a function error;
 * - the initializer is `POST /initialize`, preStop is `GET /pre-stop`; any 2xx is success.
 * An instance serves up to `instanceConcurrency` requests at once (FC applies it to custom runtimes only).
 *
 * Not FC's: the process runs on the host's OS and toolchain (the `node`, `python3`… on the PATH), not in
 * Debian's image; memorySize is not enforced; the port is a free one, not s.yaml's `port`.
 *
 * FC's built-in Python runtimes run the same way (D131): the process is the local cloud's own bootstrap
 * (`python/bootstrap.py`) on the host's python3, which loads the handler and speaks this protocol. Such an
 * instance is a built-in runtime's, not a server's: an HTTP trigger's request reaches it as FC's HTTP trigger
 * event on `/invoke` and the answer is mapped back as for a nodejs function; a failure's body is FC's error JSON;
 * a timeout ends the process (its one thread is still in the handler).
 */

/** What one instance's process runs, and whether it is a built-in runtime's bootstrap. */
export interface ProcessLaunch {
  /** The program and its arguments. */
  command: string[];
  healthCheck?: CustomHealthCheckSpec;
  /** A built-in runtime served by the local cloud's bootstrap (python3.x); absent: the user's own server. */
  builtIn?: { runtime: string; notStartedHint: string };
}

/** A custom runtime's server: s.yaml's command and args (D123). */
function customLaunch(custom: CustomRuntimeSpec): ProcessLaunch {
  return { command: [...custom.command, ...custom.args], ...(custom.healthCheck ? { healthCheck: custom.healthCheck } : {}) };
}

/** Instances of these functions are processes (`ProcessInstance`), not worker threads. */
export function runsAsProcess(fn: FunctionSpec): boolean {
  return fn.customRuntime !== undefined || isPythonRuntime(fn.runtime);
}

/** FC gives a custom runtime's server this long to listen before the instance fails to start. */
export const START_LIMIT_MS = 120_000;
/** A server still not listening after this long gets a hint in its log (it may listen on a fixed port). */
const SLOW_START_MS = 5_000;
const PORT_HINT = 'locally every instance gets its own free port: listen on process.env.FC_SERVER_PORT (FC sets it too), not on customRuntimeConfig.port';
/** After SIGTERM, how long a stopping server may take before SIGKILL. */
const STOP_GRACE_MS = 2_000;
/** Output lines kept for the message of an instance that could not start. */
const TAIL_LINES = 20;
/** Request headers that belong to the hop between client and local gateway, not to the forwarded request. */
const DROPPED_REQUEST_HEADERS = new Set(['connection', 'keep-alive', 'content-length', 'transfer-encoding', 'upgrade', 'proxy-connection']);
/** …and a client's own `x-fc-*` headers, which FC does not forward (the headers FC adds are its own). */
const isDroppedRequestHeader = (name: string) => DROPPED_REQUEST_HEADERS.has(name) || name.startsWith('x-fc-');

const CRASHED: FunctionErrorBody = { errorType: 'Crashed', errorMessage: 'Process exited unexpectedly before completing request' };

/** Process groups still running, killed if the local cloud exits without stopping them (a crash, process.exit). */
const running = new Set<ChildProcess>();
/** Marks of instances whose escaped processes (D160) have not been looked for yet: looked for at exit too. */
const unreaped = new Set<string>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess, mark: string): void {
  running.add(child);
  unreaped.add(mark);
  child.once('exit', () => running.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const process_ of running) killGroup(process_, 'SIGKILL');
    killMarkedSync(unreaped);
  });
}

/**
 * How an instance's command is started (D151): `sh` keeps the pipe from the local cloud (its stdin) on fd 3, leaves
 * a watchdog reading it in the background — in the instance's process group, its parent gone at once so the server
 * never sees a child it did not start — and then becomes the command (`exec`: the same pid, argv, output and exit
 * status; stdin /dev/null as before). The local cloud never writes to the pipe: the watchdog's read ends when the
 * local cloud is gone — a SIGKILL leaves no stop to run, the kernel closes its end — or when it closes it after the
 * command exited, and the watchdog then kills the whole group (the server and whatever it started). A stop's
 * SIGTERM to the group ends the watchdog too. User code is not changed; POSIX `sh` is all it needs.
 */
const WATCHDOG = 'exec 3<&0 </dev/null; ( ( read _ <&3; kill -s KILL 0 ) >/dev/null 2>&1 & ); exec "$@" 3<&-';

/** The argv of an instance's process while the watchdog starts it, before `exec` makes it the command. */
export function watchedCommand(command: string[]): string[] {
  return ['sh', '-c', WATCHDOG, 'sh', ...command];
}

/** The server's whole process group: `sh -c 'npm start'` and what it started stop together. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** A port free on the loopback interface now (the server binds it a moment later; a clash fails the start). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}


class NotStartedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionNotStarted';
  }
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

type Exchange = { ok: true; response: Response } | { ok: false; outcome: InstanceOutcome };

let nextProcessNumber = 1;

export class ProcessInstance implements PoolInstance {
  readonly id = `proc-${nextProcessNumber++}`;
  stale = false;
  lastUsedAt = Date.now();
  invocations = 0;
  warmed = false;
  initialization: Promise<InstanceOutcome> | undefined;
  readonly osThreadId = undefined;
  /** The class of the last request it took while busy (with instanceConcurrency, several run at once). */
  serving: InvocationClass | undefined;
  yielded = false;
  logSink: (text: string, invocationId: number | null) => void = () => undefined;
  private active = 0;
  private readonly concurrency: number;
  private readonly child: ChildProcess;
  private readonly agent: Agent;
  private readonly startedAt = Date.now();
  private exited: string | undefined;
  private dead = false;
  private readonly tail: string[] = [];
  private readonly outputClosed: Promise<void>;
  /** Requests sent and not answered: settled at once if the process dies. */
  private readonly pending = new Set<(outcome: InstanceOutcome) => void>();
  /** In the environment of every process the instance starts, to find those that leave its group (D160). */
  private readonly mark = newInstanceMark(this.id);
  /** Settles once the processes carrying the mark were killed, after the instance's own process exited. */
  private reaped: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly fn: FunctionSpec,
    private readonly launch: ProcessLaunch,
    env: Record<string, string>,
    private readonly context: FunctionContext,
    private readonly port: number,
    pids?: InstancePids,
  ) {
    this.concurrency = fn.instanceConcurrency ?? 1;
    // Idle connections are dropped after a second, before a server's own keep-alive timeout closes them (Node's is 5 s).
    this.agent = new Agent({ keepAlive: true, maxSockets: this.concurrency + 1, timeout: 1000 });
    const [shell, ...args] = watchedCommand(launch.command);
    this.child = spawn(shell!, args, {
      cwd: fn.codeDir,
      env: { ...env, FC_SERVER_PORT: String(port), FC_CUSTOM_LISTEN_PORT: String(port), FC_INSTANCE_ID: `${env.FC_INSTANCE_ID ?? fn.resource}-${this.id}`, [INSTANCE_MARK_VARIABLE]: this.mark },
      // stdin: the watchdog's pipe (nothing is written to it).
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so stopping the instance stops what the command started too.
      detached: true,
    });
    killOnExit(this.child, this.mark);
    const pid = this.child.pid;
    if (pid !== undefined) pids?.add(pid, launch.command, this.mark);
    this.child.stdin!.on('error', () => undefined);
    this.child.once('exit', () => {
      // The watchdog ends what the command left in its group; what left the group is found by its mark (D160).
      // The record stays until that is done: a local cloud killed meanwhile leaves the next start the mark to look for.
      this.child.stdin!.destroy();
      const mark = this.mark;
      this.reaped = killMarked([mark])
        .catch(() => undefined)
        .finally(() => {
          unreaped.delete(mark);
          if (pid !== undefined) pids?.remove(pid);
        });
    });
    this.child.stdout!.on('data', this.lines());
    this.child.stderr!.on('data', this.lines());
    this.child.once('error', (err) => this.onExit(`could not run sh: ${err.message}`));
    // 127 and 126 are what `exec` answers for a program it cannot find or run (its own words are in the output).
    const execFailed: Record<number, string> = { 127: `: ${launch.command[0]} was not found`, 126: `: ${launch.command[0]} could not be run` };
    this.child.once('exit', (code, signal) => this.onExit(signal ? `killed by ${signal}` : `exit code ${code}${execFailed[code ?? 0] ?? ''}`));
    this.outputClosed = new Promise((resolve) => this.child.once('close', () => resolve()));
  }

  /**
   * Start the server and wait until it listens (and passes the health check, if s.yaml has one). `log` gets its
   * output from the start on: what a server prints while starting (and the local cloud's hint when it does not
   * listen) is worth seeing before the instance serves, or when it never does.
   */
  static async start(fn: FunctionSpec, env: Record<string, string>, context: FunctionContext, log: (instanceId: string, text: string) => void, pids?: InstancePids): Promise<ProcessInstance> {
    const launch = fn.customRuntime ? customLaunch(fn.customRuntime) : await pythonLaunch(fn, context, env, (text) => log('-', text));
    const instance = new ProcessInstance(fn, launch, env, context, await freePort(), pids);
    instance.logSink = (text) => log(instance.id, text);
    try {
      await instance.untilReady();
    } catch (err) {
      await instance.terminate();
      throw err;
    }
    return instance;
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Serving at least one request. */
  get busy(): boolean {
    return this.active > 0;
  }

  get hasRoom(): boolean {
    return this.active < this.concurrency;
  }

  assign(serving: InvocationClass = 'interactive'): void {
    this.active++;
    this.serving = serving;
  }

  release(now: number = Date.now()): void {
    this.active = Math.max(0, this.active - 1);
    if (this.active === 0) this.serving = undefined;
    this.lastUsedAt = now;
  }

  /**
   * Its process's threads at the background nice value (D143): those it has now and, inherited, those it starts
   * later. Its calls to the local cloud are not told apart from other callers' (they come from another process).
   */
  yieldCpu(nice: number): void {
    if (this.yielded || this.child.pid === undefined) return;
    this.yielded = true;
    yieldThreads(threadsOfProcess(this.child.pid), nice);
  }

  /** The local caps leave out instances parked on I/O (D40) by their thread's event loop; a process has none here. */
  parkedOn(): ParkedOn | undefined {
    return undefined;
  }

  /** Each line of output, to the function's log as it comes (as FC collects a custom runtime's stdout and stderr). */
  private lines(): (chunk: Buffer) => void {
    let partial = '';
    return (chunk) => {
      const text = partial + chunk.toString('utf8');
      const end = text.lastIndexOf('\n');
      partial = text.slice(end + 1);
      if (end < 0) return;
      for (const line of text.slice(0, end).split('\n')) {
        this.tail.push(line);
        if (this.tail.length > TAIL_LINES) this.tail.shift();
        this.logSink(`${line}\n`, null);
      }
    };
  }

  private onExit(how: string): void {
    this.exited ??= how;
    this.die(CRASHED);
  }

  private die(error: FunctionErrorBody): void {
    if (this.dead) return;
    this.dead = true;
    for (const settle of [...this.pending]) settle(failedOutcome(error, 'crashed'));
    this.pending.clear();
    this.agent.destroy();
  }

  /** FC's wait for a new instance: the port accepts connections, then the health check passes (when configured). */
  private async untilReady(): Promise<void> {
    const giveUpAt = this.startedAt + START_LIMIT_MS;
    let warned = false;
    for (let wait = 10; !(await accepts(this.port)); wait = Math.min(100, wait * 2)) {
      if (this.exited) throw await this.notStarted(`the server exited before listening (${this.exited})`);
      if (Date.now() > giveUpAt) throw await this.notStarted(`the server did not listen on FC_SERVER_PORT (${this.port}) within ${START_LIMIT_MS / 1000} s`);
      if (!warned && !this.launch.builtIn && Date.now() - this.startedAt > SLOW_START_MS) {
        warned = true;
        this.logSink(`local cloud: ${this.fn.name} has not listened on FC_SERVER_PORT=${this.port} for ${SLOW_START_MS / 1000} s; ${PORT_HINT}\n`, null);
      }
      await pause(wait);
    }
    const check = this.launch.healthCheck;
    if (!check) return;
    await pause(Math.max(0, this.startedAt + check.initialDelayMs - Date.now()));
    let passed = 0;
    let failed = 0;
    for (;;) {
      const answer = await this.exchange({ method: 'GET', path: check.httpGetUrl, headers: {} }, check.timeoutMs, 'health check timed out', false);
      const healthy = answer.ok && answer.response.status >= 200 && answer.response.status < 300;
      passed = healthy ? passed + 1 : 0;
      failed = healthy ? 0 : failed + 1;
      if (passed >= check.successThreshold) return;
      if (this.exited) throw await this.notStarted(`the server exited during its health check (${this.exited})`);
      if (failed >= check.failureThreshold) throw await this.notStarted(`health check GET ${check.httpGetUrl} failed ${failed} times in a row`);
      await pause(check.periodMs);
    }
  }

  private async notStarted(why: string): Promise<NotStartedError> {
    // Its last words may still be in the pipes when it exits: read them first (a grandchild may hold them open).
    await Promise.race([this.outputClosed, pause(200)]);
    const output = this.tail.length > 0 ? `; its last output:\n${this.tail.join('\n')}` : '';
    const { builtIn } = this.launch;
    if (builtIn) return new NotStartedError(`The ${builtIn.runtime} runtime could not be started: ${why.replace('the server', 'python3')}; ${builtIn.notStartedHint}${output}`);
    return new NotStartedError(`The CA's http server cannot be started: ${why} (command: ${this.launch.command.join(' ')}); ${PORT_HINT}${output}`);
  }

  /** FC's common request headers (custom runtime specification). */
  private fcHeaders(ids: InvocationIds, controlPath: string): Record<string, string> {
    const { context, fn } = this;
    return {
      'x-fc-request-id': ids.requestId,
      // Only with a role: FC obtains them by assuming it (D157).
      ...credentialHeaders(context.credentials),
      'x-fc-function-name': fn.name,
      'x-fc-function-handler': fn.handler,
      'x-fc-function-memory': String(fn.memorySize),
      ...(fn.initializer ? { 'x-fc-function-initializer': fn.initializer.handler, 'x-fc-initialization-timeout': String(fn.initializer.timeout) } : {}),
      ...(fn.preStop ? { 'x-fc-instance-lifecycle-pre-stop-handler': fn.preStop.handler } : {}),
      'x-fc-region': context.region,
      'x-fc-account-id': context.accountId,
      'x-fc-qualifier': context.service.qualifier,
      'x-fc-control-path': controlPath,
    };
  }

  /**
   * One request to the server, answered or failed: a timeout cuts it (the instance is replaced once its other
   * requests end, as a stuck server may not answer again), and the process dying fails it as FC reports it.
   */
  private exchange(
    request: { method: string; path: string; headers: OutgoingHttpHeaders; body?: Uint8Array },
    timeoutMs: number,
    timeoutMessage: string,
    replaceOnTimeout = true,
  ): Promise<Exchange> {
    if (this.dead) return Promise.resolve({ ok: false, outcome: failedOutcome(CRASHED, 'crashed') });
    return new Promise((resolve) => {
      let done = false;
      const finish = (result: Exchange) => {
        if (done) return;
        done = true;
        timeout.cancel();
        this.pending.delete(onDeath);
        resolve(result);
      };
      const onDeath = (outcome: InstanceOutcome) => {
        req?.destroy();
        finish({ ok: false, outcome });
      };
      const body = request.body ?? new Uint8Array(0);
      // A connection that breaks is usually the process dying: wait a moment for its exit, to report it as FC does.
      const onBroken = (err: Error) =>
        setTimeout(() => finish({ ok: false, outcome: failedOutcome(this.dead ? CRASHED : { errorType: 'ConnectionError', errorMessage: `the server closed the connection: ${err.message}` }) }), 100);
      let req: ClientRequest | undefined;
      const send = (mayRetry: boolean): void => {
        const sent = httpRequest(
          { host: '127.0.0.1', port: this.port, agent: this.agent, method: request.method, path: request.path, headers: { ...request.headers, 'content-length': String(body.byteLength) } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            // One turn later: output the server wrote before answering is then usually read too, so it lands in this invocation's log.
            res.on('end', () => setImmediate(() => finish({ ok: true, response: { status: res.statusCode ?? 502, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) } })));
            res.on('error', onBroken);
          },
        );
        sent.on('error', (err: NodeJS.ErrnoException) => {
          // A kept-alive connection the server closed just as this request went out: the server never read it (Node's advice: send it again).
          if (mayRetry && sent.reusedSocket && err.code === 'ECONNRESET' && !done) send(false);
          else onBroken(err);
        });
        req = sent;
        sent.end(body);
      };
      const timeout = new StallAwareTimeout(timeoutMs, () => {
        req?.destroy();
        if (replaceOnTimeout) this.stale = true;
        finish({ ok: false, outcome: failedOutcome({ errorType: 'FunctionTimeout', errorMessage: timeoutMessage }, 'timeout') });
        // A built-in runtime's one thread is still in the handler (or hook): the process ends, as a nodejs instance's thread does.
        if (this.launch.builtIn) void this.terminate();
      });
      send(true);
      this.pending.add(onDeath);
    });
  }

  /** A lifecycle hook: `POST /initialize` or `GET /pre-stop`; any 2xx is success. */
  async call(message: { type: string; ids: InvocationIds }, timeoutMs: number, timeoutMessage: string): Promise<InstanceOutcome> {
    const [method, path] = message.type === 'initialize' ? ['POST', '/initialize'] : ['GET', '/pre-stop'];
    const answer = await this.exchange({ method, path, headers: this.fcHeaders(message.ids, path) }, timeoutMs, timeoutMessage, false);
    if (!answer.ok) return answer.outcome;
    const { status, body } = answer.response;
    if (status >= 200 && status < 300) return { ok: true, payload: body, heapMb: 0 };
    if (this.launch.builtIn) return failedOutcome(fcErrorBody(body));
    return failedOutcome({ errorType: 'HookFailed', errorMessage: `${method} ${path} answered ${status}${body.length > 0 ? `: ${body.toString('utf8').slice(0, 1000)}` : ''}` });
  }

  invoke(input: InvokeInput, ids: InvocationIds, timeoutMs: number): Promise<InstanceOutcome> {
    const timeoutMessage = `Function timed out after ${this.fn.timeout} seconds`;
    if (!('http' in input)) return this.invokeEvent(input.event, ids, timeoutMs, timeoutMessage);
    return this.launch.builtIn ? this.invokeHttpEvent(input.http, ids, timeoutMs, timeoutMessage) : this.invokeHttp(input.http, ids, timeoutMs, timeoutMessage);
  }

  /** An event invocation: `POST /invoke`; the body is the result, a 404 (status or x-fc-status) a function error. */
  private async invokeEvent(event: Buffer, ids: InvocationIds, timeoutMs: number, timeoutMessage: string): Promise<InstanceOutcome> {
    const headers = { ...this.fcHeaders(ids, '/invoke'), 'content-type': 'application/octet-stream' };
    const answer = await this.exchange({ method: 'POST', path: '/invoke', headers, body: event }, timeoutMs, timeoutMessage);
    if (!answer.ok) return answer.outcome;
    const { status, headers: responseHeaders, body } = answer.response;
    const reported = responseHeaders['x-fc-status'];
    const failed = reported !== undefined ? reported !== '200' : status < 200 || status >= 300;
    if (!failed) return { ok: true, payload: body, heapMb: 0 };
    // A built-in runtime's bootstrap answers FC's error body: the answer, and the record's error.
    if (this.launch.builtIn) return { ok: false, payload: body, error: fcErrorBody(body), ...(responseHeaders[AT_LOAD_HEADER] ? { atLoad: true as const } : {}), heapMb: 0 };
    // FC's docs say no more than "failed" for this: the server's body is the answer, its text the error message.
    return { ok: false, payload: body, error: { errorType: 'UnhandledInvocationError', errorMessage: body.length > 0 ? body.toString('utf8').slice(0, 4096) : `POST /invoke answered ${status}` }, heapMb: 0 };
  }

  /**
   * A built-in runtime's HTTP trigger: FC's event for the request, invoked as any event, and the answer mapped to
   * the HTTP response as for a nodejs function (the same two functions build and read them).
   */
  private async invokeHttpEvent(request: HttpTriggerRequest, ids: InvocationIds, timeoutMs: number, timeoutMessage: string): Promise<InstanceOutcome> {
    const outcome = await this.invokeEvent(Buffer.from(httpTriggerEventJson(request)), ids, timeoutMs, timeoutMessage);
    if (!outcome.ok) return outcome;
    const reply = httpTriggerReply(outcome.payload.toString('utf8'));
    return reply ? { ...outcome, reply } : outcome;
  }

  /** An HTTP trigger's request, passed through with FC's headers added; the server's response is the reply. */
  private async invokeHttp(request: HttpTriggerRequest, ids: InvocationIds, timeoutMs: number, timeoutMessage: string): Promise<InstanceOutcome> {
    // A client cannot set FC's own headers, nor the hop's.
    const headers = headerMap(request.rawHeaders, isDroppedRequestHeader);
    Object.assign(headers, this.fcHeaders(ids, '/http-invoke'));
    const path = request.search ? `${request.rawPath}?${request.search}` : request.rawPath;
    const answer = await this.exchange({ method: request.method, path, headers, body: request.body }, timeoutMs, timeoutMessage);
    if (!answer.ok) return answer.outcome;
    const { status, rawHeaders, body } = answer.response;
    return { ok: true, payload: body, reply: passedBack(status, rawHeaders, body), heapMb: 0 };
  }

  async terminate(): Promise<void> {
    this.die({ errorType: 'InstanceStopped', errorMessage: 'the instance was stopped before it answered' });
    if (!this.exited) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      killGroup(this.child, 'SIGTERM');
      const late = setTimeout(() => killGroup(this.child, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(late);
    }
    // Stopped means nothing of the instance runs: its escaped processes too (D160).
    await this.reaped;
  }
}

/** Set by the bootstrap (python/bootstrap.py) on the answer of an invocation that failed because the module's import did. */
const AT_LOAD_HEADER = 'x-local-at-load';

/** FC's error JSON a built-in runtime's bootstrap answered (anything else: its text as the message). */
function fcErrorBody(body: Buffer): FunctionErrorBody {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as Partial<FunctionErrorBody>;
    if (typeof parsed.errorMessage === 'string' && typeof parsed.errorType === 'string') return parsed as FunctionErrorBody;
  } catch {
    // not JSON
  }
  return { errorType: 'UnhandledInvocationError', errorMessage: body.toString('utf8').slice(0, 4096) };
}

/** The server's response as the HTTP trigger's reply: headers as sent (repeated ones kept), minus what FC drops. */
function passedBack(status: number, rawHeaders: string[], body: Buffer): HttpTriggerReply {
  return { status, headers: headerMap(rawHeaders, isReservedResponseHeader), body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
}

/** Raw headers (name, value, …) by lower-case name, repeated ones as a list, without those `dropped` says. */
function headerMap(raw: string[], dropped: (name: string) => boolean): Record<string, string | string[]> {
  // Without a prototype: a header named `constructor` or `toString` is a header like any other.
  const headers: Record<string, string | string[]> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (dropped(name)) continue;
    const previous = headers[name];
    headers[name] = previous === undefined ? raw[i + 1]! : [...(Array.isArray(previous) ? previous : [previous]), raw[i + 1]!];
  }
  return headers;
}
