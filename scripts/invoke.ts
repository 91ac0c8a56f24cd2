/**
 * `npm run invoke -- <function> --event <file.json>`: one invocation, in-process, with a fixture event —
 * the Docker-free `s local invoke`. The same fixtures work with `s <function> local invoke -f <file>`.
 * The function runs in the local cloud (its emulators and the other functions are available), with the
 * same data folder as `npm start` (DATA_DIR, default .data). While `npm start` runs on that folder, the
 * invocation goes to that running local cloud (one cloud per data folder: scripts/local/data-lock.ts).
 *
 * Options: see USAGE below (`npm run invoke -- --help`).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chosenProject, npmTookTheFlag, projectDataDir, templateArgument, TemplateUsageError } from './local/template-option';
import { startLocalCloud, type LocalCloud } from './local/cloud';
import { dataDirFrom, DataFolderInUse } from './local/data-lock';
import type { InvocationRecord } from './local/runtime/runtime';
import { SpecErrors } from './local/spec/errors';
import { bold, dim, formatLogLine } from './local/terminal';

const USAGE = `usage: npm run invoke -- <function> [--event <file.json> | --data '<json>'] [--async] [--no-seed] [-t <s.yaml>]
  <function>            an s.yaml function (product-price) or its deployed name (fcsuite-dev-product-price)
  --event <file.json>   the event from a file (also -f, --event-file); fixtures: test/fixtures/events/
  --data '<json>'       the event inline (also -e, as s local invoke -e takes it)
  --async               queue it as an async invocation (retries, destinations) and wait for the outcome
  --no-seed             skip the demo data on a fresh data folder
  -t, --template <file> a function of your own project (as npm start -- -t <file> runs it), on its data folder
Runs in-process on DATA_DIR (default .data), or through the running npm start that holds that folder.`;

/** A usage mistake: the message and the usage, exit code 2. */
class UsageError extends Error {}

function readEventFile(option: string, file: string | undefined): string {
  if (!file || file.startsWith('-')) throw new UsageError(`${option} needs a file: ${option} test/fixtures/events/http/get-price.json`);
  try {
    // From the folder the command was typed in (npm runs scripts in the package's folder and says so in INIT_CWD).
    return readFileSync(resolve(process.env.INIT_CWD || '.', file), 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the event file ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/** `--data`'s value: without one (the last argument, or an option next) it was taken as `{}` (D149). */
function inlineEvent(option: string, value: string | undefined): string {
  if (value === undefined || /^--?[a-z]/i.test(value)) throw new UsageError(`${option} needs the event as JSON: ${option} '{"id":"p-1"}' (or --event <file.json>)`);
  return value;
}

function parseArgs(all: string[]) {
  let chosen: ReturnType<typeof templateArgument>;
  try {
    chosen = templateArgument(all);
  } catch (err) {
    throw err instanceof TemplateUsageError ? new UsageError(err.message) : err;
  }
  const argv = chosen.rest;
  const args = { fn: '', event: '{}', async: false, seed: true, help: false, template: chosen.given };
  let events = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const isEvent = ['--event', '-f', '--event-file', '--data', '-e'].includes(arg);
    if (isEvent && ++events > 1) throw new UsageError(`give the event once: ${arg} after another --event or --data`);
    if (arg === '--help' || arg === '-h') args.help = true;
    else if (arg === '--event' || arg === '-f' || arg === '--event-file') args.event = readEventFile(arg, argv[++i]);
    else if (arg === '--data' || arg === '-e') args.event = inlineEvent(arg, argv[++i]);
    else if (arg === '--async') args.async = true;
    else if (arg === '--no-seed') args.seed = false;
    else if (!arg.startsWith('-') && !args.fn) args.fn = arg;
    // `npm run invoke fn -t x.yaml` without `--`: npm keeps -t for itself and passes only the file on.
    else throw new UsageError((!arg.startsWith('-') && npmTookTheFlag([arg], process.env, `npm run invoke -- ${args.fn}`)) || `unknown argument ${arg}`);
  }
  const npmKept = args.template === undefined ? npmTookTheFlag([], process.env, `npm run invoke -- ${args.fn}`) : undefined;
  if (npmKept) throw new UsageError(npmKept);
  if (!args.fn && !args.help) throw new UsageError('name the function to invoke');
  return args;
}

/** Pretty-print a payload: JSON (and an HTTP trigger response's JSON body) indented, anything else as text. */
function describePayload(payload: Buffer): string {
  const text = payload.toString('utf8');
  try {
    const value = JSON.parse(text) as { statusCode?: number; body?: string; isBase64Encoded?: boolean };
    if (typeof value.statusCode === 'number' && typeof value.body === 'string' && !value.isBase64Encoded) {
      try {
        return JSON.stringify({ ...value, body: JSON.parse(value.body) as unknown }, null, 2);
      } catch {
        return JSON.stringify(value, null, 2);
      }
    }
    return JSON.stringify(value, null, 2);
  } catch {
    return text;
  }
}

type Args = ReturnType<typeof parseArgs>;

/** What the console API answers for an invocation: the record with its payload as text. */
type RemoteRecord = Omit<InvocationRecord, 'payload'> & { payload: string };

function printRecord(fn: { resource: string; name: string }, record: Omit<InvocationRecord, 'payload'>, payload: Buffer): void {
  console.log(`${bold(fn.resource)} ${dim(`(${fn.name})`)}  request ${record.requestId}  ${record.status}${record.atLoad ? ' at load (importing the code, before the handler ran)' : ''}  ${record.durationMs} ms  ${record.coldStart ? 'cold start' : 'warm'}  heap ${record.heapMb} MB`);
  if (record.logs.trim()) console.log(`\n${bold('logs')}\n${formatLogLine(fn.resource, record.logs)}`);
  console.log(`${bold(record.status === 'succeeded' ? 'result' : 'error')}\n${describePayload(payload)}`);
  process.exitCode = record.status === 'succeeded' ? 0 : 1;
}

/** `npm start` holds the data folder: the running cloud invokes the function (its console API), with its data. */
async function invokeThrough(url: string, args: Args): Promise<void> {
  if (args.async) throw new Error(`a local cloud is running on this data folder (${url}): --async needs the folder to itself; stop npm start first, or invoke without --async`);
  const functions = (await (await fetch(`${url}/_local/api/functions`)).json()) as { resource: string; name: string }[];
  const fn = functions.find((f) => f.resource === args.fn || f.name === args.fn);
  if (!fn) throw new Error(`no function "${args.fn}" in the local cloud running at ${url} (functions: ${functions.map((f) => f.resource).join(', ')})`);
  const res = await fetch(`${url}/_local/api/functions/${encodeURIComponent(fn.name)}/invoke`, { method: 'POST', body: args.event });
  if (!res.ok) throw new Error(`the local cloud at ${url} answered ${res.status}: ${await res.text()}`);
  const record = (await res.json()) as RemoteRecord;
  console.log(dim(`through the local cloud running at ${url} (npm start holds this data folder)`));
  printRecord(fn, record, Buffer.from(record.payload));
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) return console.log(USAGE);
  // A project of the user's own (D154): its yaml, and the data folder npm start -- -t gives it.
  const template = chosenProject(args.template);
  const dataDir = template && !process.env.DATA_DIR ? projectDataDir(template) : dataDirFrom(process.env);
  let cloud: LocalCloud;
  try {
    cloud = await startLocalCloud({ port: 0, prewarm: false, seed: args.seed, dataDir, ...(template ? { template } : {}) });
  } catch (err) {
    if (err instanceof DataFolderInUse && err.owner.url?.startsWith('http')) return invokeThrough(err.owner.url, args);
    throw err;
  }
  try {
    const fn = cloud.runtime.find(args.fn);
    if (!fn) throw new Error(`no function "${args.fn}" in s.yaml (functions: ${cloud.spec.functions.map((f) => f.resource).join(', ')})`);
    const event = Buffer.from(args.event);
    let record;
    if (args.async) {
      const requestId = cloud.asyncInvoker.enqueue(fn.name, event, 'cli');
      record = await new Promise<Awaited<ReturnType<typeof cloud.runtime.invoke>>>((resolve) => {
        cloud.runtime.on('invocation', (r: Awaited<ReturnType<typeof cloud.runtime.invoke>>) => {
          const row = cloud.asyncInvoker.get(requestId);
          if (r.requestId === requestId && row && row.status !== 'queued' && row.status !== 'running') resolve(r);
        });
      });
    } else {
      record = await cloud.runtime.invoke(fn.name, event, { source: 'cli' });
    }
    printRecord(fn, record, record.payload);
  } finally {
    await cloud.stop();
  }
}

// `npm run invoke … | head`: a reader that stops early is not an error of the invocation.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main().catch((err: unknown) => {
  console.error(err instanceof SpecErrors ? err.message : (err as Error).message);
  if (err instanceof UsageError) console.error(`\n${USAGE}`);
  process.exit(2);
});
