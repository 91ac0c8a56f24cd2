import type { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCloud } from './cloud';
import { CANCELED_BY_CLIENT } from './runtime/client-connection';
import type { InvocationRecord } from './runtime/runtime';
import { isPythonRuntime } from './spec/custom-runtime';

const useColor = process.stdout.isTTY && !process.env.NO_COLOR;
const paint = (code: number, text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
export const dim = (t: string) => paint(2, t);
export const bold = (t: string) => paint(1, t);
const cyan = (t: string) => paint(36, t);
const red = (t: string) => paint(31, t);

/** Function logs: JSON lines (pino) become `resource level msg`, other lines are prefixed as they are. */
export function formatLogLine(resource: string, text: string): string {
  return text
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string; [k: string]: unknown };
        const { level, msg, time: _t, fn: _f, requestId: _r, correlationId: _c, ...rest } = entry;
        const extra = Object.keys(rest).length ? ` ${dim(JSON.stringify(rest))}` : '';
        return `${cyan(resource.padEnd(18))} ${(level ?? 'info').padEnd(5)} ${msg ?? ''}${extra}\n`;
      } catch {
        return `${cyan(resource.padEnd(18))} ${line}\n`;
      }
    })
    .join('');
}

/**
 * `npm start`'s log printer: `formatLogLine`, except that a Node runtime warning (`(node:123) [DEP0005] …`
 * and its `--trace-…` hint) is printed once, not once per instance. Bundled dependencies trip some of them
 * (DEP0005 comes from a `new Buffer()` inside the TableStore SDK's int64 code, which Node only excuses when it
 * runs from node_modules); FC logs them per instance too, but here they would bury the first screen.
 */
export function createLogPrinter(): (resource: string, text: string) => string {
  const seen = new Set<string>();
  let hintShown = false;
  return (resource, text) => {
    const kept = text.split('\n').filter((line) => {
      const warning = /^\(node:\d+\) \[([A-Z]+\d+)\]/.exec(line.trim());
      if (warning) {
        if (seen.has(warning[1]!)) return false;
        seen.add(warning[1]!);
        return true;
      }
      if (/^\(Use `node --trace-/.test(line.trim())) {
        if (hintShown) return false;
        hintShown = true;
      }
      return true;
    });
    return formatLogLine(resource, kept.join('\n'));
  };
}

/**
 * One line for an invocation that failed or timed out, as FC writes the error into the function's log: what
 * a handler threw (or the timeout, or the memory limit), where (the first frame of its stack), what caused the
 * invocation and its request id — the console's `/_local/` shows the rest. Without it a function that threw
 * left only its own log lines behind, and an OSS-triggered retry looked like the event arriving twice.
 */
export function formatFailure(record: Pick<InvocationRecord, 'resource' | 'status' | 'error' | 'source' | 'requestId' | 'retryCount' | 'atLoad'>): string {
  const error = record.error;
  const firstLine = (error?.errorMessage ?? record.status).split('\n')[0]!;
  const message = firstLine.length > 300 ? `${firstLine.slice(0, 300)}…` : firstLine;
  const thrown = error?.errorType && !['FunctionTimeout', 'OutOfMemory'].includes(error.errorType) ? `${error.errorType}: ${message}` : message;
  // FC's body and header are the same for both; the log says which, as the fix differs (the module's top level).
  const what = record.atLoad ? `at load (importing the code, before the handler ran): ${thrown}` : thrown;
  const frame = firstFrame(error?.stackTrace);
  const cause = `${record.source}${record.retryCount > 0 ? `, retry ${record.retryCount}` : ''}`;
  return `${cyan(record.resource.padEnd(18))} ${red('ERROR')} ${what}${frame ? ` ${dim(frame)}` : ''} ${dim(`(${cause}; request ${record.requestId})`)}\n`;
}

/** Where the error was raised: Node's first `at …` line, or Python's innermost frame (FC lists them outermost first). */
function firstFrame(stackTrace: (string | string[])[] | undefined): string | undefined {
  if (!stackTrace) return undefined;
  const python = stackTrace.filter((frame) => Array.isArray(frame));
  if (python.length > 0) return python[python.length - 1]!.slice(0, 3).join(', ');
  return stackTrace.find((line): line is string => typeof line === 'string' && line.startsWith('at '));
}

/**
 * `npm start` prints each failed or timed-out invocation (not 429s: those are the platform's answer, and a
 * load test would bury the screen in them).
 * @example printFailures(cloud.runtime, (line) => process.stdout.write(line));
 */
export function printFailures(runtime: EventEmitter, write: (line: string) => void): void {
  runtime.on('invocation', (record: InvocationRecord) => {
    // A request dropped from the line because its client went away (D168) is the client's doing, not the function's.
    if (record.error?.errorType === CANCELED_BY_CLIENT.errorType) return;
    if (record.status === 'failed' || record.status === 'timeout') write(formatFailure(record));
  });
}

/** What listens on PORT and the next four ports (start.ts; each may be moved with its own *_PORT). */
const PORT_USERS = ['the gateway, PORT', 'OSS, PORT+1', 'TableStore, PORT+2', 'MNS, PORT+3', 'CloudFlow, PORT+4'];

/** Node's listen error has the port; one re-created from a thread (TableStore's) has it only in its message. */
function takenPort(error: NodeJS.ErrnoException & { port?: unknown }): number | undefined {
  if (typeof error.port === 'number') return error.port;
  const inMessage = /address already in use \S*:(\d+)$/.exec(error.message ?? '');
  return inMessage ? Number(inMessage[1]) : undefined;
}

/**
 * The port that is taken, named (it is often one of the services' ports, not PORT: a user who looked at PORT
 * would find it free), and a block of ports further on.
 */
function portInUseText(base: number, taken: number, command: string): string {
  const user = PORT_USERS[taken - base];
  const next = base + 100;
  return `port ${taken}${user ? ` (${user})` : ''} is in use: stop the process that holds it, or start with PORT=${next} ${command} (ports ${next}–${next + PORT_USERS.length - 1})`;
}

/**
 * What `npm start` prints when it cannot start: s.yaml problems and a held data folder as they are worded, a
 * port in use with what to do, and a build error (a syntax error in a function, an import that does not
 * resolve) as esbuild's lines `file:line:column: ERROR: …` — not the error object with esbuild's internals.
 * `command`: how to start again (with a user's project, `npm start -- -t <file>`: the plain one would start the suite).
 */
export function startFailureText(err: unknown, port: string, command = 'npm start', afterReady = false): string {
  const error = err as NodeJS.ErrnoException & { errors?: unknown[]; warnings?: unknown[] };
  // Errors whose message says what is wrong and what to do: printed as they are, without a stack.
  if (['SpecErrors', 'DataFolderInUse', 'DataFolderUnusable', 'StartSettingError'].includes(error?.name ?? '')) return error.message;
  if (error?.code === 'EADDRINUSE') return portInUseText(Number(port), takenPort(error) ?? Number(port), command);
  if (Array.isArray(error?.errors) && Array.isArray(error?.warnings)) return `${afterReady ? 'a bundle building in the background failed, so the local cloud stops' : 'the build failed, so the local cloud did not start'}:\n${error.message.replace(/^Build failed with \d+ errors?:\n/, '')}`;
  return error instanceof Error ? (error.stack ?? error.message) : String(err);
}

/** The bundles as the ready line finds them: reused, built, or the rest still building (reported by `backgroundBuildsLine`). */
function buildState(cloud: LocalCloud): string {
  if (cloud.timings.bundlesReused) return 'bundles up to date';
  return bundlesStillBuilding(cloud) ? 'the other bundles building in the background' : `build ${cloud.timings.build} ms`;
}

/** Bundles were neither reused nor all built when the cloud began to answer: the rest build in the background. */
export function bundlesStillBuilding(cloud: LocalCloud): boolean {
  return !cloud.timings.bundlesReused && cloud.timings.build === undefined;
}

/**
 * The line `npm start` prints when the bundles still building at the ready line (a first start after a clone, changed
 * sources) are all built: `ms` from the same origin as the ready line's (D169).
 */
export function backgroundBuildsLine(cloud: LocalCloud, ms: number): string {
  return dim(`  background builds done in ${ms} ms (build ${cloud.timings.build} ms): every function is bundled`);
}

/**
 * What `npm start` prints once ready (it answers; bundles nobody has asked for yet may still be building). `template`: a user's own project (`-t`, D154), named on the first lines; its
 * banner shows a website and this suite's `/api/…` only where the project has them.
 */
export function formatBanner(cloud: LocalCloud, ms: number, template?: string): string {
  const site = !template || existsSync(join(cloud.spec.baseDir, 'dist', 'website'));
  const lines = [
    '',
    `${bold('Local cloud ready')} in ${ms} ms ${dim(`(${buildState(cloud)}, seed ${cloud.timings.seed} ms)`)}  — data in ${cloud.dataDir}`,
    ...(template ? [`  project   ${template}  ${dim(`(${cloud.spec.name || 'no name'}; code and templates from ${cloud.spec.baseDir})`)}`] : []),
    '',
    ...(site ? [`  website   ${cloud.url}/`] : []),
    ...(template ? [] : [`  API       ${cloud.url}/api/…`]),
    `  console   ${cloud.url}/_local/`,
    // The FC SDK's default protocol is HTTPS, which the plain gateway cannot answer (D145): say the one option to set.
    `  FC API    ${cloud.url}/2023-03-30/functions/{name}/invocations  ${dim(`@alicloud/fc20230330: endpoint '${new URL(cloud.url).host}', protocol: 'http' (or a cloud script as it is: node --import tsx --import ./scripts/local/use-local-cloud.mts <script>)`)}`,
    // Node resolves no `<bucket>.localhost` (browsers, curl and function instances do): a script needs path-style.
    `  OSS       ${cloud.oss.endpoint}  ${dim(`buckets: ${cloud.spec.infra.buckets.map((b) => b.name).join(', ') || 'none'}; from a Node script: ali-oss with sldEnable: true`)}`,
    `  TableStore ${cloud.tablestore.endpoint}  ${dim(`instance: ${cloud.tablestore.instance ?? 'none'}, tables: ${cloud.spec.infra.tables.length}`)}`,
    `  MNS       ${cloud.mns.emulator.endpoint}  ${dim(`queues: ${cloud.spec.infra.queues.map((q) => q.name).join(', ') || 'none'}; topics: ${cloud.spec.infra.topics.map((t) => t.name).join(', ') || 'none'}`)}`,
    `  FnF       ${cloud.fnf.endpoint}  ${dim(`flows: ${cloud.spec.flows.map((f) => f.name).join(', ') || 'none'}`)}`,
    `  endpoints ${cloud.url}/_local/api/endpoints  ${dim('(JSON: every service endpoint and the local credentials)')}`,
    '',
    // A project with no custom-domain routes (functions reached at /_fc/<name>/ only) gets no empty heading.
    ...(template && cloud.spec.routes.length === 0 ? [] : [bold('  routes'), ...cloud.spec.routes.map((r) => `    ${(r.methods?.join(',') ?? 'ANY').padEnd(10)} ${r.path.padEnd(26)} → ${r.functionName}`), '']),
    bold('  functions'),
    ...cloud.spec.functions.map((fn) => {
      const triggers = fn.triggers.map((t) => {
        if (t.type === 'timer') return `timer ${t.name} (${t.cronExpression})`;
        if (t.type === 'oss') return `oss ${t.bucket}/${t.prefix}*${t.suffix}`;
        if (t.type === 'tablestore') return `tablestore ${t.table}`;
        if (t.type === 'mns_topic') return `mns topic ${t.topic}${t.filterTag ? ` [${t.filterTag}]` : ''} (${t.notifyContentFormat})`;
        if (t.type === 'eventbridge') return `mns queue ${t.queue} (${t.mode === 'event-driven' ? 'one event' : `batches of ${t.batchSize}`}${t.async ? ', async' : ''})`;
        return `http ${cloud.url}/_fc/${fn.name}/`;
      });
      // Said where the user looks first: a Python function runs on this machine's python3, not FC's image (D131).
      const where = isPythonRuntime(fn.runtime) ? `, ${fn.runtime} on this machine's python3` : '';
      return `    ${fn.resource.padEnd(20)} ${dim(`${fn.memorySize} MB, ${fn.timeout} s${where}`)}  ${triggers.join('; ') || dim('invoked by other functions')}`;
    }),
    '',
    dim('  Ctrl-C to stop. Sources are watched: saving a function rebuilds and reloads it.'),
    '',
  ];
  return lines.join('\n');
}
