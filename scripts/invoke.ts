/**
 * `npm run invoke -- <function> --event <file.json>`: one invocation, in-process, with a fixture event —
 * the Docker-free `s local invoke`. The same fixtures work with `s <function> local invoke -f <file>`.
 * The function runs in the local cloud (its emulators and the other functions are available), with the
 * same data folder as `npm start` (DATA_DIR, default .data).
 *
 * Options: --event <file> | --data '<json>'   --async (queue it and wait for the outcome)   --no-seed
 */
import { readFileSync } from 'node:fs';
import { startLocalCloud } from './local/cloud';
import { SpecErrors } from './local/spec/errors';
import { bold, dim, formatLogLine } from './local/terminal';

function parseArgs(argv: string[]) {
  const args = { fn: '', event: '{}', async: false, seed: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--event' || arg === '-f' || arg === '--event-file') args.event = readFileSync(argv[++i] ?? '', 'utf8');
    else if (arg === '--data' || arg === '-e') args.event = argv[++i] ?? '{}';
    else if (arg === '--async') args.async = true;
    else if (arg === '--no-seed') args.seed = false;
    else if (!arg.startsWith('-') && !args.fn) args.fn = arg;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!args.fn) throw new Error('usage: npm run invoke -- <function> [--event file.json | --data \'{"k":"v"}\'] [--async]');
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const cloud = await startLocalCloud({ port: 0, prewarm: false, seed: args.seed, ...(process.env.DATA_DIR ? { dataDir: process.env.DATA_DIR } : {}) });
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
    console.log(`${bold(fn.resource)} ${dim(`(${fn.name})`)}  request ${record.requestId}  ${record.status}  ${record.durationMs} ms  ${record.coldStart ? 'cold start' : 'warm'}  heap ${record.heapMb} MB`);
    if (record.logs.trim()) console.log(`\n${bold('logs')}\n${formatLogLine(fn.resource, record.logs)}`);
    console.log(`${bold(record.status === 'succeeded' ? 'result' : 'error')}\n${describePayload(record.payload)}`);
    process.exitCode = record.status === 'succeeded' ? 0 : 1;
  } finally {
    await cloud.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof SpecErrors ? err.message : (err as Error).message);
  process.exit(2);
});
