import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { LocalEndpoints } from '../../scripts/local/endpoints';

/**
 * The local cloud in a child process (test/helpers/local-cloud-main.ts), for tests that need a real process kill:
 * spawn it, wait until it says it is ready, read where its services are from `GET /_local/api/endpoints`,
 * `kill()` it (SIGKILL by default: no cleanup runs), and `restart()` it on the same data folder and the same
 * ports — so clients keep their endpoints. Starting a new one on the same `dataDir` works too (other ports).
 *
 * @example
 * const cloud = await startLocalCloudProcess({ dataDir: dir.path });            // the repository's s.yaml
 * const { tablestore, credentials } = cloud.endpoints;
 * // … write something, then:
 * await cloud.kill();
 * await cloud.restart();
 * await cloud.stop();
 */
export interface LocalCloudProcessOptions {
  /** The app folder with s.yaml (default: the repository). Its functions are built into its own dist/. */
  root?: string;
  dataDir: string;
  /** Extra environment for the child (s.yaml variables, e.g. LEDGER_FILE). */
  env?: Record<string, string>;
  /** Start every function's instances before saying ready, as `npm start` does (default false: faster). */
  prewarm?: boolean;
  /** Run the app's demo-seed function once, as `npm start` does (default false). */
  seed?: boolean;
  /** How long one start may take (default 120 s: a first start builds every bundle). */
  timeoutMs?: number;
  /** Options for node itself, before the script (e.g. a V8 flag such as `--max-semi-space-size=32`). */
  nodeArgs?: string[];
}

export interface LocalCloudProcess {
  /** The gateway, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** The gateway's port; services are on the next ports (OSS +1, TableStore +2, MNS +3, FnF +4). */
  port: number;
  /** What `GET /_local/api/endpoints` answered after the latest start. */
  readonly endpoints: LocalEndpoints;
  /** Shortcuts into `endpoints`. */
  readonly oss: string;
  readonly fnf: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Everything the child printed (the last 20 000 characters), for failure messages. */
  output(): string;
  /** Kills the process (SIGKILL unless told otherwise) and waits until it is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same data folder and ports, and waits until it is ready. */
  restart(): Promise<void>;
  /** Stops it cleanly (SIGTERM), or kills it if it does not stop within 20 s. */
  stop(): Promise<void>;
}

const REPO_ROOT = join(__dirname, '..', '..');
const MAIN = join(__dirname, 'local-cloud-main.ts');
/** The gateway and the four service ports above it. */
const PORTS_PER_CLOUD = 5;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port whose next PORTS_PER_CLOUD ports are all free (a restart reuses them). */
export async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 35000);
    let free = true;
    for (let i = 0; i < PORTS_PER_CLOUD && free; i++) free = await portIsFree(base + i);
    if (free) return base;
  }
  throw new Error('no block of free ports found');
}

const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

function exited(child: ChildProcess): Promise<void> {
  if (!running(child)) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Resolves once the child printed its ready line; rejects if it exits first or the time runs out. */
function readyLine(child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`the local cloud was not ready after ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    const onData = () => {
      if (!output().includes('LOCAL_CLOUD_READY ')) return;
      cleanup();
      resolve();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(new Error(`the local cloud exited before it was ready (${code ?? signal}):\n${output()}`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

export async function startLocalCloudProcess(options: LocalCloudProcessOptions): Promise<LocalCloudProcess> {
  const port = await freePortBlock();
  const url = `http://127.0.0.1:${port}`;
  const timeout = options.timeoutMs ?? 120_000;
  let log = '';
  const output = () => log.slice(-20_000);

  const start = async (): Promise<{ child: ChildProcess; endpoints: LocalEndpoints }> => {
    log = '';
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', MAIN], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        ...options.env,
        PORT: String(port),
        DATA_DIR: options.dataDir,
        APP_ROOT: options.root ?? '',
        PREWARM: options.prewarm ? '1' : '0',
        // `seed` decides, not a SEED inherited from the test's environment.
        SEED: options.seed ? '1' : '0',
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString('utf8')));
    try {
      await readyLine(child, output, timeout);
      const res = await fetch(`${url}/_local/api/endpoints`);
      if (!res.ok) throw new Error(`GET /_local/api/endpoints answered ${res.status}:\n${output()}`);
      return { child, endpoints: (await res.json()) as LocalEndpoints };
    } catch (err) {
      child.kill('SIGKILL');
      await exited(child);
      throw err;
    }
  };

  let started = await start();
  const handle: LocalCloudProcess = {
    url,
    port,
    get endpoints() {
      return started.endpoints;
    },
    get child() {
      return started.child;
    },
    get oss() {
      return started.endpoints.oss!.endpoint;
    },
    get fnf() {
      return started.endpoints.fnf!.endpoint;
    },
    get pid() {
      return started.child.pid!;
    },
    output,
    async kill(signal = 'SIGKILL') {
      if (running(started.child)) started.child.kill(signal);
      await exited(started.child);
    },
    async restart() {
      await handle.kill();
      started = await start();
    },
    async stop() {
      const { child } = started;
      if (!running(child)) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
  return handle;
}
