import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { consoleApi } from './console/api';
import { consolePage } from './console/page';
import { buildOssEvent, matchesOssTrigger, OssEventsNotReady, startOssEmulator, type OssEmulator, type OssEventSubscriber, type OssNotification } from './emulators/oss';
import { lockDataFolder } from './data-lock';
import { getFlag, openControlDb, setFlag, type ControlDb } from './control-db';
import { flowSections } from './console/flows';
import { startFnfEmulator, type FnfEmulator } from './emulators/fnf';
import { LOCAL_ACCOUNT_ID } from './credentials';
import { AccessControl, accessSettingsOf } from './ram/access';
import { denialLine, OnBehalfAccess, type OnBehalfDenial } from './ram/on-behalf';
import { createGatewayHandler, type Mount } from './gateway/server';
import { endpointsApi } from './console/endpoints';
import { localEndpoints } from './endpoints';
import { startLocalTableStore, type LocalTableStore } from './local-tablestore';
import { startLocalMns, type LocalMns } from './mns-cloud';
import { AsyncInvoker } from './runtime/async-invoker';
import type { InstanceCaps } from './runtime/capacity';
import type { TableStreamTriggers } from './runtime/table-stream';
import { InstancePids } from './runtime/instance-pids';
import { watchedCommand } from './runtime/process-instance';
import { FunctionRuntime, stableRequestId, type InvocationRecord, type PrewarmOptions } from './runtime/runtime';
import { Timers } from './runtime/timers';
import { REPO_ROOT } from './paths';
import { loadSpec } from './spec/load';
import { SpecError, SpecErrors } from './spec/errors';
import { locateProblems } from './spec/locate';
import { projectDataDir, shownTemplate } from './template-option';
import { unrunnableFunctions } from '../build/functions';
import { EarlyRequests, gate, isFcApiCall, startBuilds, warmFirstCallTree, warmOrder } from './startup';
import type { AppSpec, FunctionSpec } from './spec/model';
import { keepIdleConnections } from './keep-alive';
import { fcClientErrorHandler } from './emulators/fc/fc-api';
import { stderrAbortLog } from './emulators/http-edge';
import { traceMark } from './trace';
import { limitParam } from './console/query';

export interface LocalCloudOptions {
  /** Folder with s.yaml (default: the repository root). */
  root?: string;
  /**
   * A Serverless Devs yaml of the user's own (`npm start -- -t <file>`, D154), run instead of `<root>/s.yaml`: its
   * folder is the root, and problems in it are reported under its own name.
   */
  template?: string;
  /** 0 picks a free port. Default 9000. */
  port?: number;
  /** Port of the OSS emulator; default `port + 1` (or a free port when `port` is 0). */
  ossPort?: number;
  /** Port of the TableStore emulator; default `port + 2` (or a free port when `port` is 0). */
  tablestorePort?: number;
  host?: string;
  /** Default `<root>/.data`, or the project's own folder for a `template` (template-option.ts). */
  dataDir?: string;
  /** Rebuild and hot-reload functions when sources change. */
  watch?: boolean;
  /** Build bundles before starting (default true). */
  build?: boolean;
  /** Variables for rendering s.yaml (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Run the `demo-seed` function once per data folder (default true when s.yaml has it). */
  seed?: boolean;
  /** Start one instance of each function in the background (default true). */
  prewarm?: boolean;
  /** Instances per function and in total (default: from the CPU count, or LOCAL_MAX_INSTANCES[_PER_FUNCTION]). */
  instanceCaps?: Partial<InstanceCaps>;
  asyncRetryBaseMs?: number;
  /** Port of the FnF (CloudFlow) API emulator; default `port + 4` (or a free port when `port` is 0). */
  fnfPort?: number;
  /** The flow engine's clock; tests move it to run out waits, retries and callback timeouts. */
  fnfClock?: () => number;
  /** The OSS emulator's clock (signature expiry and skew checks); tests move it to expire signed URLs. */
  ossClock?: () => number;
  /** Port of the MNS emulator; default `port + 3` (or a free port when `port` is 0). */
  mnsPort?: number;
  /** The MNS emulator's clock (visibility timeouts, delays, signature skew); tests move it. */
  mnsClock?: () => number;
  /** Scales MNS NotifyStrategy retry intervals (tests: e.g. 0.001). */
  mnsPushRetryScale?: number;
  /** Receives every function log line; default: discard. */
  onLog?: (fn: FunctionSpec, text: string, requestId: string | undefined) => void;
  /**
   * Called once, right after the first request to a route (not an FC API call) has been answered: the launcher then
   * saves the start script's code cache with the code start-up and the first page ran (D103).
   */
  onFirstAnswered?: () => void;
  /** Called once the instances this start warms first (the first call tree's first part, D43) are warm; in the order it warms them. */
  onFirstPartWarm?: (functions: FunctionSpec[]) => void;
  /**
   * What the platform was refused on a function's or resource's behalf (a trigger's role, a destination, a flow's
   * role: D152), as it happens; and, once at start with `atStart`, what the spec shows will be refused.
   * Default: a process warning per line.
   */
  onAccessDenied?: (text: string, denial?: OnBehalfDenial) => void;
  /** Called when hot reload rebuilt functions (or failed to). */
  onReload?: (changed: string[], error?: Error) => void;
  /**
   * Called once the local cloud answers (the gateway serves, the first call tree is warm), which may be before the
   * returned promise resolves: that also waits for the bundles still building in the background (D169).
   */
  onServing?: (cloud: LocalCloud) => void;
}

export interface LocalCloud {
  url: string;
  port: number;
  dataDir: string;
  spec: AppSpec;
  runtime: FunctionRuntime;
  asyncInvoker: AsyncInvoker;
  timers: Timers;
  oss: OssEmulator;
  mns: LocalMns;
  /** The FnF (CloudFlow) API and its flow engine. */
  fnf: FnfEmulator;
  tablestore: LocalTableStore;
  tableStreams: TableStreamTriggers;
  db: ControlDb;
  /** Calls made on a function's or resource's behalf, held to the roles they are made with (D152). */
  onBehalf: OnBehalfAccess;
  /** Milliseconds from call to ready, and its parts. */
  timings: Record<string, number>;
  /** Invoke a function synchronously with a JSON (or raw) event, as the FC API would. */
  invoke(functionName: string, event: unknown, source?: string): Promise<InvocationRecord>;
  stop(): Promise<void>;
}

export { REPO_ROOT } from './paths';

/** Start-up work nobody waits for yet runs once requests have paused this long (or after the longer wait). */
const QUIET_MS = 200;
const MAX_QUIET_WAIT_MS = 3000;
/**
 * The first call tree's second part waits for requests to pause this long (warmFirstCallTree): long enough for a
 * request let in when the first part became warm to reach its function, short enough not to hold ready back when
 * none came (D118).
 */
const TAIL_QUIET_MS = 20;
export { warmOrder } from './startup';

/**
 * Start the local cloud: read s.yaml, build the bundles, and serve every function with its triggers.
 * @example const cloud = await startLocalCloud({ port: 0, dataDir: tmp }); await fetch(`${cloud.url}/api/products`);
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const root = options.template ? dirname(resolve(options.template)) : (options.root ?? REPO_ROOT);
  const dataDir = resolve(options.dataDir ?? (options.template ? projectDataDir(options.template) : join(root, '.data')));
  const specFile = options.template ? resolve(options.template) : join(root, 's.yaml');
  const shownAs = options.template ? shownTemplate(specFile) : 's.yaml';
  const spec = loadSpec(specFile, options.env ?? process.env, { shownAs });
  // A function with neither a source to bundle nor a handler file in its code folder is named before anything starts,
  // on the line of its `code:`.
  const unrunnable = unrunnableFunctions(spec);
  if (unrunnable.length > 0) throw new SpecErrors(locateProblems(specFile, unrunnable.map(({ fn, problem, hint }) => new SpecError(`resources.${fn.resource}.props.code`, problem, hint, shownAs)), shownAs), shownAs);
  timings.spec = Date.now() - t0;
  traceMark('spec loaded');
  const accessDenied = options.onAccessDenied ?? ((text: string) => process.emitWarning(text, 'AccessDenied'));
  const onBehalf = new OnBehalfAccess(spec, (d) => accessDenied(denialLine(d), d));
  // Refused only when it happens, as in the cloud; said at start, since in the cloud it is said nowhere one looks.
  for (const gap of onBehalf.gaps(spec)) accessDenied(gap);

  // The data folder first: a second start on it is told a cloud already runs there, before its port is found taken.
  const lock = lockDataFolder(dataDir);
  // Instances a killed run left (their watchdog should have ended them, D151): ended now, before new ones start.
  const instancePids = new InstancePids(join(dataDir, 'instances'), watchedCommand);
  for (const left of instancePids.reapLeftovers()) {
    process.stderr.write(`local cloud: stopped pid ${left.pid} (${left.command.join(' ').slice(0, 200)}), a function instance a previous run left running\n`);
  }
  // Then the port (port 0 picks one, and functions need the URL). Requests arriving before the
  // local cloud is ready wait for it: served early they would find a half-seeded catalogue (and the BFF
  // would cache that). If the start fails they get 503.
  let gateway: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const early = new EarlyRequests();
  const server = keepIdleConnections(createServer((req, res) => (gateway ? gateway(req, res) : early.hold(req, res))));
  const gatewayAborts = stderrAbortLog('gateway');
  // Known once the port is bound; the TLS hint reads it only when a client needs it.
  let url = '';
  server.on('clientError', fcClientErrorHandler(gatewayAborts, () => url));
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(options.port ?? 9000, options.host ?? '127.0.0.1', () => ok());
    });
  } catch (err) {
    lock.release();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  lock.setUrl(url);
  traceMark('gateway port bound');

  let runtime: FunctionRuntime | undefined;
  /** Resources to release on stop or on a failed start, newest last (the data folder's lock goes last). */
  const opened: (() => unknown)[] = [() => lock.release()];
  // The TableStore emulator's thread boots (~100 ms) on the other core while this one starts the rest (D85).
  const tablestoreStarting = startLocalTableStore(spec, {
    dataDir,
    port: options.tablestorePort ?? (options.port === 0 ? 0 : port + 2),
    ...(options.host ? { host: options.host } : {}),
  });
  tablestoreStarting.catch(() => undefined); // awaited below; a start that fails before then closes it here
  opened.push(() => tablestoreStarting.then((tablestore) => tablestore.close(), () => undefined));
  const seeder = spec.functions.find((fn) => fn.resource === 'demo-seed');
  // Bundles and the website build while the emulators and the gateway start (D32).
  const tBuild = Date.now();
  const builds = startBuilds(spec, root, {
    build: options.build !== false,
    watch: options.watch === true,
    ...(seeder && options.seed !== false ? { seeder } : {}),
    onBuilt: (changed, error) => {
      if (!error) runtime?.reload(changed);
      options.onReload?.(changed, error);
    },
  });
  timings.bundlesReused = builds.bundlesReused ? 1 : 0;
  traceMark('builds started');
  void builds.done.then(() => (timings.build = Date.now() - tBuild), () => undefined);
  try {
    const db = openControlDb(dataDir);
    opened.push(() => db.close());
    // The bucket's declared CORS origins, plus where this local cloud serves the website.
    const corsOrigins = withWebsiteOrigins(spec.infra.buckets.flatMap((b) => b.corsOrigins), url);
    // Until FC's async queue is attached, OSS keeps its events in its outbox (a write then, or a crash's leftovers).
    let onOssEvent: OssEventSubscriber = () => {
      throw new OssEventsNotReady();
    };
    const oss = await startOssEmulator({
      dataDir,
      region: spec.region,
      // `port` is the bound port by now: ask the options whether the caller wanted any free port.
      port: options.ossPort ?? (options.port === 0 ? 0 : port + 1),
      buckets: spec.infra.buckets.map((b) => b.name),
      access: accessSettingsOf(spec),
      corsOrigins,
      // Each bucket's template rules, the local site standing in for the website origin they name.
      bucketCors: Object.fromEntries(spec.infra.buckets.map((b) => [b.name, b.corsRules.map((rule) => ({ ...rule, allowedOrigins: withWebsiteOrigins(rule.allowedOrigins, url) }))])),
      onEvent: (n, eventId) => onOssEvent(n, eventId),
      ...(options.ossClock ? { clock: options.ossClock } : {}),
    });
    opened.push(() => oss.close());
    traceMark('oss started');
    const mns = await startLocalMns({
      spec,
      dataDir,
      port: options.mnsPort ?? (options.port === 0 ? 0 : port + 3),
      ...(options.host ? { host: options.host } : {}),
      ...(options.mnsClock ? { clock: options.mnsClock } : {}),
      ...(options.mnsPushRetryScale !== undefined ? { pushRetryScale: options.mnsPushRetryScale } : {}),
      onBehalf,
    });
    opened.push(() => mns.close());
    traceMark('mns started');
    const fnf = await startFnfEmulator({
      dataDir,
      port: options.fnfPort ?? (options.port === 0 ? 0 : port + 4),
      region: spec.region,
      access: accessSettingsOf(spec),
      functionNames: () => spec.functions.map((f) => f.name),
      ...(options.fnfClock ? { clock: options.fnfClock } : {}),
    });
    opened.push(() => fnf.close());
    fnf.deployFlows(spec.flows);
    traceMark('fnf started');
    const tablestore = await tablestoreStarting;
    traceMark('tablestore started');
    // A new TableStore storage holds nothing the seed wrote, whatever the control database remembers.
    if (tablestore.created) setFlag(db, 'demo-seed', '');
    // API_BASE_URL is the API's public address: the custom domain in the cloud (s.yaml), the gateway here.
    const endpoints = { FC_ENDPOINT: url, OSS_ENDPOINT: oss.endpoint, OSS_REGION: spec.region, MNS_ENDPOINT: mns.emulator.endpoint, FNF_ENDPOINT: fnf.endpoint, API_BASE_URL: url };
    const rt = new FunctionRuntime(spec, {
      envFor: (fn) => instanceEnv(spec, fn, { ...endpoints, ...tablestore.envFor(fn.environment), ...websiteCorsEnv(fn.environment, url) }),
      codeReady: (fn, demanded) => builds.codeReady(fn, demanded),
      ...(options.instanceCaps ? { instanceCaps: options.instanceCaps } : {}),
      ...(options.onLog ? { onLog: options.onLog } : {}),
      instancePids,
    });
    runtime = rt;
    const asyncInvoker = new AsyncInvoker(db, rt, {
      region: spec.region,
      sendToMns: (destination, body) => mns.sendDestination(destination, body),
      onBehalf,
      ...(options.asyncRetryBaseMs !== undefined ? { retryBaseMs: options.asyncRetryBaseMs } : {}),
    });
    // The event sources — the async invoker's backlog (events a previous stop left queued, running or due for a
    // retry), the MNS queue triggers and the TableStore stream triggers — begin once the first call tree's requests
    // have been served, or at ready, whichever comes first: nobody waits for them, and on the first page's path they
    // took its CPU (their first stream and queue reads on this thread and the TableStore thread's, and an event left
    // by a stopped start ran its function — bundled on demand — beside the page; D132). Events accepted meanwhile
    // (an async invocation, an OSS notification, a topic push) are stored and run at once as before.
    const eventSources = gate();
    void eventSources.opened.then(() => {
      traceMark('event sources begin');
      asyncInvoker.start();
    });
    mns.attach(rt, asyncInvoker, eventSources.opened);
    fnf.connect(rt, asyncInvoker, onBehalf);
    onOssEvent = (n, eventId) => deliverOssEvent(spec, asyncInvoker, onBehalf, n, eventId);
    oss.deliverEvents();
    const tableStreams = tablestore.startTriggers(rt, db, { ...(options.asyncRetryBaseMs !== undefined ? { retryBaseMs: options.asyncRetryBaseMs } : {}), begin: eventSources.opened, onBehalf });
    const timers = new Timers(spec.functions, asyncInvoker);
    const mounts: Mount[] = [
      consolePage(),
      endpointsApi(() =>
        localEndpoints({
          region: spec.region,
          url,
          oss: { endpoint: oss.endpoint, buckets: spec.infra.buckets.map((b) => b.name) },
          tablestore: { endpoint: tablestore.endpoint, instance: tablestore.instance, instances: tablestore.emulator.instances },
          mns: { endpoint: mns.emulator.endpoint, queues: spec.infra.queues.map((q) => q.name), topics: spec.infra.topics.map((t) => t.name) },
          fnf: { endpoint: fnf.endpoint, flows: spec.flows.map((f) => f.name) },
        }),
      ),
      mns.consoleMount,
      consoleApi({
        runtime: rt,
        asyncInvoker,
        timers,
        sections: {
          streams: () => tableStreams.status(),
          tables: () => tablestore.tables(),
          buckets: () => oss.listBuckets().map((bucket) => ({ name: bucket.name, versioning: oss.bucketVersioning(bucket.name), objects: oss.listObjects(bucket.name, '', 200) })),
          ...flowSections(fnf.engine),
          denials: (u) => onBehalf.denials(limitParam(u, 100, 200)),
        },
      }),
    ];
    const handler = createGatewayHandler({ runtime: rt, asyncInvoker, access: new AccessControl(accessSettingsOf(spec)), routes: spec.routes, websiteDir: join(root, 'dist', 'website'), websiteReady: builds.websiteReady, mounts, onAbort: gatewayAborts });

    const cloud: LocalCloud = {
      url,
      port,
      dataDir,
      spec,
      runtime: rt,
      asyncInvoker,
      timers,
      oss,
      mns,
      fnf,
      tablestore,
      tableStreams,
      db,
      onBehalf,
      timings,
      invoke: (name, event, source = 'cli') => rt.invoke(name, Buffer.isBuffer(event) ? event : Buffer.from(typeof event === 'string' ? event : JSON.stringify(event)), { source }),
      async stop() {
        timers.stop();
        await builds.dispose();
        await mns.stopTriggers();
        await tableStreams.close();
        await asyncInvoker.close();
        const closed = new Promise<void>((ok) => server.close(() => ok()));
        // Keep-alive and in-flight connections would hold close() open forever.
        server.closeAllConnections();
        await closed;
        // Flows first: invocations cut short by the runtime's shutdown must not be recorded as failures.
        await fnf.close();
        await rt.close();
        await closeAll(opened);
      },
    };
    // Instances start while the seed runs (each as soon as its bundle is built), so the first requests find them
    // warm: the first call tree's first part, then (once those are warm, so its build does not take their CPU, and
    // what they serve is answered) its second part; the rest of the build waits for those and the seed (D32, D43, D118).
    const order = warmOrder(spec).filter((name) => name !== seeder?.name);
    const [head = [], tail = []] = builds.warmStages;
    const first = order.filter((name) => head.includes(name) || tail.includes(name));
    const prewarm = (names: string[], how?: PrewarmOptions) => (options.prewarm !== false ? rt.prewarm(order.filter((name) => names.includes(name)), how) : Promise.resolve());
    const { headWarm, warmFirst } = warmFirstCallTree(head, tail, {
      prewarm,
      onHeadWarm: () => options.onFirstPartWarm?.(order.filter((name) => head.includes(name)).map((name) => spec.functions.find((fn) => fn.name === name)!)),
      whenIdle: () => rt.whenIdle(TAIL_QUIET_MS, MAX_QUIET_WAIT_MS),
      startTreeTail: () => builds.startTreeTail(),
    });
    const tSeed = Date.now();
    const seeding = seeder && options.seed !== false ? seedOnce(rt, db, seeder, builds.codeReady(seeder)) : Promise.resolve();
    // The rest waits until the first requests have been served (a quiet moment, 3 s at most).
    const afterFirst = Promise.allSettled([warmFirst, seeding]).then(() => rt.whenIdle(QUIET_MS, MAX_QUIET_WAIT_MS));
    void afterFirst.then(() => {
      builds.startLaterStages();
      builds.startWatching();
      // Once the last stage has begun (its promise chain), so an event for a function it builds waits for that build
      // instead of bundling the function a second time on demand beside it.
      setImmediate(eventSources.open);
    });
    // One at a time, each only once no request has run for a moment: a page opened right after ready must not
    // share the CPU with cold starts of functions nobody has asked for yet (first-page.test.ts, D61).
    void afterFirst.then(() => prewarm(order.filter((name) => !first.includes(name)), { concurrency: 1, beforeEach: () => rt.whenIdle(QUIET_MS, MAX_QUIET_WAIT_MS) }));
    await seeding;
    timings.seed = Date.now() - tSeed;
    traceMark('seeded; FC API serving');
    // Function-to-function calls are served from now on (an initializer may call another function: the BFF warms
    // product-info; held, that call would wait out the initializer's timeout). When this start builds the first
    // call tree's first part, everything else waits until that part is warm: its instances start only once its
    // build is done, all at once, and a product list asked for meanwhile found its price service still starting,
    // past the BFF's 300 ms budget, and came back without prices. With those bundles reused they start at once,
    // from their code caches, and waiting for all of them would only delay the first page (D43).
    if (builds.buildsFirstPart) {
      gateway = (req, res) => (isFcApiCall(req) ? handler(req, res) : early.hold(req, res));
      early.release(handler, isFcApiCall);
      await headWarm;
      traceMark('first part warm');
    }
    traceMark('gateway serving');
    const serving = firstAnswerNoticed(handler, options.onFirstAnswered, (next) => (gateway = next));
    gateway = serving;
    early.release(serving);
    // Ready means the first call tree's instances (and their initializers) are warm: the first page would otherwise
    // spend its parts' budget on their starts (first-page.test.ts). They started with the seed.
    await warmFirst.catch(() => undefined);
    traceMark('first call tree warm');
    timings.serving = Date.now() - t0;
    options.onServing?.(cloud);
    // Ready means built: a build error fails the start, as it always did.
    await builds.done;
    // Ready means the event sources run (when the first requests were not served before).
    eventSources.open();
    timings.ready = Date.now() - t0;
    traceMark('ready');
    return cloud;
  } catch (err) {
    early.refuse();
    builds.startLaterStages();
    await builds.dispose();
    await runtime?.close();
    await closeAll(opened);
    server.close();
    throw err;
  }
}

/**
 * Runs `demo-seed` unless this data folder was already seeded by the same seed bundle. The seed is
 * idempotent (it adds only what is missing), so a changed catalogue simply seeds again; an unchanged one
 * saves a cold start and a pass over every table on each `npm start`.
 */
async function seedOnce(rt: FunctionRuntime, db: ControlDb, seeder: FunctionSpec, built: Promise<void>): Promise<void> {
  await built;
  const bundle = join(seeder.codeDir, 'index.js');
  const version = existsSync(bundle) ? createHash('sha256').update(readFileSync(bundle)).digest('hex') : 'unknown';
  if (getFlag(db, 'demo-seed') === version) return;
  traceMark('seeding');
  const record = await rt.invoke(seeder.name, Buffer.from('{"op":"seed"}'), { source: 'seed' });
  if (record.status !== 'succeeded') throw new Error(`demo-seed failed: ${record.error?.errorMessage ?? record.status}\n${record.logs}`);
  setFlag(db, 'demo-seed', version);
}

/**
 * The gateway's handler, watching for the first answer to a route: `notify` runs once that response has been sent
 * (after it, never on its path), and from then on the plain handler serves (`swap`), so later requests pay nothing.
 */
function firstAnswerNoticed(handler: (req: IncomingMessage, res: ServerResponse) => void, notify: (() => void) | undefined, swap: (next: typeof handler) => void): typeof handler {
  if (!notify) return handler;
  let noticed = false;
  return (req, res) => {
    if (!noticed && !isFcApiCall(req)) {
      noticed = true;
      swap(handler);
      res.once('finish', () => setImmediate(notify));
    }
    handler(req, res);
  };
}

async function closeAll(opened: (() => unknown)[]): Promise<void> {
  for (const close of opened.splice(0).reverse()) await close();
}

/**
 * FC OSS triggers: every trigger whose bucket, events and key filter match gets FC's OSS event as an
 * asynchronous invocation (persisted before the OSS request is answered; FC's async retry policy applies). One
 * async event per OSS event and trigger, however often the emulator's outbox hands it over (after a crash, D151).
 */
function deliverOssEvent(spec: AppSpec, asyncInvoker: AsyncInvoker, onBehalf: OnBehalfAccess, n: OssNotification, eventId: string): void {
  for (const fn of spec.functions) {
    for (const trigger of fn.triggers) {
      if (trigger.type !== 'oss' || trigger.bucket !== n.bucket || !matchesOssTrigger(n, trigger)) continue;
      // OSS invokes the function with the trigger's role; a role that may not is an event lost (D152).
      const denial = onBehalf.trigger(fn, trigger);
      if (denial) {
        onBehalf.refuse(denial, `OSS trigger ${trigger.name} of ${fn.name}`, `The ${n.eventName} event of ${n.bucket}/${n.key} was not delivered: ${fn.name} did not run`);
        continue;
      }
      const event = buildOssEvent(n, { region: spec.region, accountId: LOCAL_ACCOUNT_ID });
      asyncInvoker.enqueueOnce(fn.name, Buffer.from(JSON.stringify(event)), `oss:${trigger.name}`, stableRequestId(`oss\n${eventId}\n${fn.name}\n${trigger.name}`));
    }
  }
}

/**
 * Origins that may call across origins, plus the ones the local cloud serves the website from: the gateway's own
 * origin in both loopback spellings a browser may use. In the cloud the website's origin is `WEBSITE_ORIGIN`
 * (s.yaml); here the gateway serves the website on whatever PORT it was started with, which s.yaml cannot know.
 */
function withWebsiteOrigins(declared: string[], url: string): string[] {
  return [...new Set([...declared, url, url.replace('127.0.0.1', 'localhost'), url.replace('localhost', '127.0.0.1')])];
}

/** A function's `CORS_ORIGINS` (the API's CORS, `functions/_shared/fc/http.ts`) with the website's local origins added. */
function websiteCorsEnv(environment: Record<string, string>, url: string): Record<string, string> {
  const declared = environment.CORS_ORIGINS;
  if (declared === undefined || declared.split(',').some((o) => o.trim() === '*')) return {};
  return { CORS_ORIGINS: withWebsiteOrigins(declared.split(',').map((o) => o.trim()).filter(Boolean), url).join(',') };
}

/** What an FC instance finds in its environment: FC's system variables, s.yaml's, and local endpoints. */
function instanceEnv(spec: AppSpec, fn: FunctionSpec, endpoints: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ...fn.environment,
    FC_FUNCTION_NAME: fn.name,
    FC_FUNCTION_HANDLER: fn.handler,
    FC_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    FC_FUNC_CODE_PATH: fn.codeDir,
    FC_REGION: spec.region,
    FC_ACCOUNT_ID: LOCAL_ACCOUNT_ID,
    FC_RUNTIME: fn.runtime,
    FC_INSTANCE_ID: `local-${fn.resource}`,
    // ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET/_SECURITY_TOKEN: added by the runtime with context.credentials (D157).
    // The one difference from the cloud: service endpoints point at the local emulators.
    ...endpoints,
  };
}
