/**
 * The local cloud as a user runs it (`npm start`, its own DATA_DIR), in a process group of its own so that a crash
 * can take the whole of it at once: npm, the launcher, the start script and every thread and child in the group get
 * SIGKILL together, as when a laptop's power goes or the OOM killer picks the tree. Then `npm start` again on the
 * same data folder and ports, and the harness waits until the gateway answers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';

const REPO = join(__dirname, '..');
/** The gateway and the services above it (OSS +1, TableStore +2, MNS +3, FnF +4): all must be free before a restart. */
const PORTS = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class NpmStartCloud {
  private child: ChildProcess | undefined;
  private log = '';
  /** Starts, kills and the time each restart took until the gateway answered (ms). */
  readonly restarts: number[] = [];
  kills = 0;

  constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The last lines the cloud printed, for a failure message. */
  output(): string {
    return this.log.slice(-6000);
  }

  /** `npm start`, with `extraEnv` for this start only (a crash point). Resolves with the ms until the gateway answered. */
  async start(extraEnv: Record<string, string> = {}): Promise<number> {
    const started = Date.now();
    this.log = '';
    // `npm start` itself, detached: the child leads a new process group, which the kill takes whole.
    const child = spawn('npm', ['start', '--silent'], { cwd: REPO, detached: true, env: { ...process.env, LOG_LEVEL: 'warn', ...this.env, ...extraEnv, PORT: String(this.port), DATA_DIR: this.dataDir }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString('utf8')).slice(-50_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const until = Date.now() + 180_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm start exited (${child.exitCode ?? child.signalCode}):\n${this.output()}`);
      const ok = await fetch(`${this.url}/api/products`, { signal: AbortSignal.timeout(5000) }).then((r) => r.status === 200, () => false);
      if (ok) break;
      if (Date.now() > until) throw new Error(`npm start was not ready in 180 s:\n${this.output()}`);
      await sleep(100);
    }
    const took = Date.now() - started;
    this.restarts.push(took);
    return took;
  }

  /** SIGKILL to the whole process group, then wait until the process is gone and every port is free. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.kills++;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    for (let port = this.port; port < this.port + PORTS; port++) while (await portAnswers(port)) await sleep(20);
  }

  async crash(): Promise<number> {
    await this.kill();
    return this.start();
  }

  /**
   * Waits up to `ms` for the launcher to die by itself (a crash point), then takes the rest of the group down as a
   * crash does and starts again. Answers whether it died by itself.
   */
  async crashedItself(ms: number): Promise<boolean> {
    // npm outlives the launcher for a moment: the launcher's death is its gateway port closing.
    let died = false;
    for (const until = Date.now() + ms; !died && Date.now() < until; ) {
      died = !(await portAnswers(this.port));
      if (!died) await sleep(20);
    }
    await this.kill();
    await this.start();
    return died;
  }

  /** A clean stop (SIGTERM to the group), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, 20_000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
  }
}
