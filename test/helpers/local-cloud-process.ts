import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/**
 * Start the local cloud as a child process (test/helpers/local-cloud-main.ts) and wait until it serves,
 * so a test can kill it with SIGKILL — a real crash, no cleanup — and start it again on the same data.
 * @example const cloud = await startLocalCloudProcess({ root: app, dataDir }); await cloud.kill();
 */
export interface LocalCloudProcess {
  url: string;
  fnf: string;
  oss: string;
  pid: number;
  /** Everything it printed so far (for failure messages). */
  output(): string;
  /** SIGKILL by default: the process gets no chance to clean up. Resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const MAIN = join(__dirname, 'local-cloud-main.ts');

export function startLocalCloudProcess(options: { root?: string; dataDir: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<LocalCloudProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', MAIN], {
    env: { ...process.env, ...options.env, ...(options.root ? { APP_ROOT: options.root } : {}), DATA_DIR: options.dataDir, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the local cloud did not start within ${options.timeoutMs ?? 60000} ms:\n${output}`));
    }, options.timeoutMs ?? 60000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = /LOCAL_CLOUD_READY (\{.*\})/.exec(output);
      if (!line) return;
      clearTimeout(timer);
      const ready = JSON.parse(line[1]!) as { url: string; fnf: string; oss: string; pid: number };
      resolve({
        ...ready,
        output: () => output,
        kill: async (signal = 'SIGKILL') => {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          await exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the local cloud exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}
