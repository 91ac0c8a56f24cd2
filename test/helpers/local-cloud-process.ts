import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

/**
 * Start the local cloud as a child process (test/helpers/local-cloud-main.ts) and wait until it serves,
 * so a test can kill it with SIGKILL — a real crash, no cleanup — and start it again on the same data:
 * `restart()` keeps the ports (the gateway and the services above it), so clients that were talking to it
 * (a device simulator retrying its requests) reach the new process at the same address.
 * @example const cloud = await startLocalCloudProcess({ root: app, dataDir }); await cloud.kill(); await cloud.restart();
 */
export interface LocalCloudProcess {
  url: string;
  /** The gateway's port; the services are on the next ports (OSS +1, TableStore +2, MNS +3, FnF +4). */
  port: number;
  fnf: string;
  oss: string;
  pid: number;
  /** Everything it printed so far (for failure messages). */
  output(): string;
  /** SIGKILL by default: the process gets no chance to clean up. Resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills it if it still runs, then starts it again on the same data folder and ports. */
  restart(): Promise<void>;
  /** Stops it cleanly (SIGTERM), or kills it if it has not stopped within 20 s. */
  stop(): Promise<void>;
}

const MAIN = join(__dirname, 'local-cloud-main.ts');
/** The gateway and the four service ports above it. */
const PORTS_PER_CLOUD = 5;

interface Started {
  child: ChildProcess;
  exited: Promise<void>;
  ready: { url: string; fnf: string; oss: string; pid: number };
}

export async function startLocalCloudProcess(options: {
  root?: string;
  dataDir: string;
  env?: NodeJS.ProcessEnv;
  /** Run the app's demo seed once per data folder (its users sign in), as `npm start` does. */
  seed?: boolean;
  timeoutMs?: number;
}): Promise<LocalCloudProcess> {
  const port = await freePortBlock();
  let output = '';
  const start = (): Promise<Started> => {
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, ...options.env, ...(options.root ? { APP_ROOT: options.root } : {}), ...(options.seed ? { SEED: '1' } : {}), PORT: String(port), DATA_DIR: options.dataDir, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the local cloud did not start within ${options.timeoutMs ?? 60000} ms:\n${output}`));
      }, options.timeoutMs ?? 60000);
      let mine = '';
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        mine += chunk.toString();
        const line = /LOCAL_CLOUD_READY (\{.*\})/.exec(mine);
        if (!line) return;
        clearTimeout(timer);
        resolve({ child, exited, ready: JSON.parse(line[1]!) as Started['ready'] });
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the local cloud exited (${code ?? signal}) before it was ready:\n${output}`));
      });
    });
  };
  const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

  let current = await start();
  const handle: LocalCloudProcess = {
    ...current.ready,
    port,
    output: () => output,
    kill: async (signal = 'SIGKILL') => {
      if (alive(current.child)) current.child.kill(signal);
      await current.exited;
    },
    restart: async () => {
      await handle.kill();
      current = await start();
      Object.assign(handle, current.ready);
    },
    stop: async () => {
      if (!alive(current.child)) return;
      current.child.kill('SIGTERM');
      const timer = setTimeout(() => current.child.kill('SIGKILL'), 20_000);
      await current.exited;
      clearTimeout(timer);
    },
  };
  return handle;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A base port whose next PORTS_PER_CLOUD ports are free, so a restart can bind the same ones. */
async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 35_000);
    let free = true;
    for (let i = 0; i < PORTS_PER_CLOUD && free; i++) free = await portIsFree(base + i);
    if (free) return base;
  }
  throw new Error(`no block of ${PORTS_PER_CLOUD} free ports found`);
}
