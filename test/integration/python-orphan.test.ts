/**
 * A local cloud killed with SIGKILL cannot stop its Python instances: each instance notices it was orphaned
 * (its parent changed) and exits by itself, instead of running — and holding its port — until someone finds it (D150).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { regionalHostRules } from '../../scripts/local/runtime/regional-hosts';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { tempDir } from '../helpers/temp';

const BOOTSTRAP = join(__dirname, '..', '..', 'scripts', 'local', 'runtime', 'python', 'bootstrap.py');

/** Running, and not a zombie waiting for an init that may never reap it. */
function running(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    return readFileSync(stat, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('Python instances outlive no local cloud', () => {
  const dir = tempDir('fx-py-orphan-');
  afterAll(() => dir.cleanup());

  it('exits once its parent is gone (SIGKILL leaves no stop to run)', async () => {
    writeFileSync(join(dir.path, 'index.py'), 'def handler(event, context):\n    return event\n');
    const config = {
      runtime: 'python3.10',
      function: { name: 'orphan', handler: 'index.handler', memory: 128, timeout: 3 },
      service: 'orphan',
      region: 'cn-hangzhou',
      accountId: '1',
      cloudHosts: regionalHostRules('cn-hangzhou'),
    };
    const port = await freePort();
    // A shell stands in for the local cloud: it starts the instance, says its pid, and is killed.
    const parent = spawn('sh', ['-c', 'python3 -u "$0" "$1" & echo $!; wait', BOOTSTRAP, JSON.stringify(config)], {
      cwd: dir.path,
      env: { ...process.env, FC_SERVER_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    try {
      // Serving, as an instance is before anything can kill the local cloud that started it.
      await eventually(async () => expect((await fetch(`http://127.0.0.1:${port}/listening`)).status).toBe(404), { timeoutMs: 10000 });
      expect(running(pid)).toBe(true);
      parent.kill('SIGKILL');
      await eventually(() => expect(running(pid)).toBe(false), { timeoutMs: 10000 });
    } finally {
      if (running(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
