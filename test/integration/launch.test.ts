import { isAscii } from 'node:buffer';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { REPO_ROOT } from '../../scripts/local/paths';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { tempDir } from '../helpers/temp';

/**
 * `npm start` runs `scripts/local/launch.cjs`: plain Node, no TypeScript compiled at run time. It builds the
 * local cloud's start script into node_modules/.cache/fc-local when any input changed, and otherwise starts
 * from it at once. This starts it as a user would (its own process, a free port, a new data folder) and
 * asks for the first page.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const launcher = require(join(REPO_ROOT, 'scripts', 'local', 'launch.cjs')) as {
  isFresh(): boolean;
  build(): Promise<number>;
  GC_FLAGS: string[];
  relaunchExecArgv(execArgv: string[], env: Record<string, string | undefined>): string[] | undefined;
};
const STAMP = join(REPO_ROOT, 'node_modules', '.cache', 'fc-local', 'start.stamp.json');

describe('npm start (the launcher)', () => {
  const dir = tempDir('launch-');
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child!.once('exit', resolve));
    }
    dir.cleanup();
  });

  it('rebuilds the start script when an input changed since the last build, and only then', async () => {
    if (!launcher.isFresh()) await launcher.build();
    expect(launcher.isFresh()).toBe(true);
    const stamp = JSON.parse(readFileSync(STAMP, 'utf8')) as { inputs: Record<string, string> };
    expect(Object.keys(stamp.inputs)).toEqual(expect.arrayContaining(['scripts/local/start.ts', 'scripts/local/cloud.ts', 'scripts/local/runtime/instance-worker.ts', 'package-lock.json']));
    // A source saved since: its size or mtime no longer matches the stamp.
    writeFileSync(STAMP, JSON.stringify({ ...stamp, inputs: { ...stamp.inputs, 'scripts/local/cloud.ts': '0:0' } }));
    expect(launcher.isFresh()).toBe(false);
    await launcher.build();
    expect(launcher.isFresh()).toBe(true);
    // Pure ASCII, the bundled packages' comments included: loaded as a one-byte string, without UTF-8 decoding (D118).
    for (const file of ['start.js', 'tablestore-worker.js', 'instance-worker.js']) expect(isAscii(readFileSync(join(dirname(STAMP), file)))).toBe(true);
  });

  it('is prepared by npm install: the prepare script builds the start script, caches its code and reads s.yaml', () => {
    expect((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.prepare).toBe('node scripts/local/launch.cjs --prepare');
    const output = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'local', 'launch.cjs'), '--prepare'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(output).toMatch(/start script prepared in \d+ ms/);
    expect(launcher.isFresh()).toBe(true);
    const cache = join(REPO_ROOT, 'node_modules', '.cache', 'fc-local');
    const startScript = join(cache, 'start.js');
    expect(existsSync(join(cache, 'code-cache', `${createHash('sha1').update(startScript).digest('hex').slice(0, 20)}.bin`))).toBe(true);
    // s.yaml as the spec loader reads it (with merge keys), keyed by its text (spec/yaml-file.ts).
    const yamlKey = createHash('sha1').update(`merge\n${readFileSync(join(REPO_ROOT, 's.yaml'), 'utf8')}`).digest('hex');
    expect(existsSync(join(cache, 'yaml', `${yamlKey}.json`))).toBe(true);
  });

  it('never fails the install when the start script cannot be prepared', () => {
    // A launcher with nothing beside it: no sources, no esbuild to build them with.
    const lonely = join(dir.path, 'lonely', 'scripts', 'local');
    mkdirSync(lonely, { recursive: true });
    copyFileSync(join(REPO_ROOT, 'scripts', 'local', 'launch.cjs'), join(lonely, 'launch.cjs'));
    const run = spawnSync(process.execPath, [join(lonely, 'launch.cjs'), '--prepare'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/could not prepare the start script \(npm start will build it\)/);
  });

  /** node's arguments in `npm start` (package.json: `node <options> scripts/local/launch.cjs`). */
  const npmStartArgs = () => {
    const [command, ...args] = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!.split(' ');
    expect(command).toBe('node');
    return args;
  };

  /**
   * Starts the launcher as `npm start` does (its own process, its node options, a free port), with the start-up
   * trace on; `options.args` starts it otherwise (e.g. `node scripts/local/launch.cjs` without them).
   */
  const launch = async (data: string, options: { args?: string[]; env?: Record<string, string> } = {}) => {
    const env = { ...process.env, PORT: '0', DATA_DIR: data, WATCH: '0', NO_COLOR: '1', FC_LOCAL_QUIET: '1', FC_LOCAL_TRACE: '1', ...options.env };
    const started = spawn(process.execPath, options.args ?? npmStartArgs(), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    const output = { text: '' };
    started.stdout!.on('data', (chunk: Buffer) => (output.text += chunk.toString('utf8')));
    started.stderr!.on('data', (chunk: Buffer) => (output.text += chunk.toString('utf8')));
    const url = await eventually(() => {
      const match = /website\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(output.text);
      expect(match).not.toBeNull();
      return match![1]!;
    }, { timeoutMs: 60_000 });
    const stop = async () => {
      const exited = new Promise<number | null>((resolve) => started.once('exit', resolve));
      started.kill('SIGTERM');
      return exited;
    };
    return { started, output, url, stop };
  };

  it('serves the first page from the prebuilt start script and stops cleanly on SIGTERM', async () => {
    const { started, output, url, stop } = await launch(join(dir.path, 'data'));
    expect(output.text).toMatch(/Local cloud ready in \d+ ms/);
    const res = await fetch(`${url}/api/products`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    // The process runs the bundle with no module loader (tsx) among its options, and with npm start's GC flag (D113).
    expect(started.spawnargs.join(' ')).not.toMatch(/tsx|--import|--loader/);
    expect(output.text).toMatch(/launcher running, node options: --single-threaded-gc\n/);
    expect(await stop()).toBe(0);
  });

  it('runs the local cloud with V8\'s single-threaded GC: npm start passes it, a launcher started without it starts again with it, LOCAL_V8_GC=parallel turns it off (D113)', async () => {
    expect(launcher.GC_FLAGS).toEqual(['--single-threaded-gc']);
    expect(npmStartArgs()).toEqual([...launcher.GC_FLAGS, 'scripts/local/launch.cjs']);
    expect(launcher.relaunchExecArgv(['--single-threaded-gc'], {})).toBeUndefined();
    expect(launcher.relaunchExecArgv(['--enable-source-maps'], {})).toEqual(['--enable-source-maps', '--single-threaded-gc']);
    expect(launcher.relaunchExecArgv(['--single-threaded-gc', '--enable-source-maps'], { LOCAL_V8_GC: 'parallel' })).toEqual(['--enable-source-maps']);
    expect(launcher.relaunchExecArgv([], { LOCAL_V8_GC: 'parallel' })).toBeUndefined();
    // The trace's first line names the options of the process that runs the local cloud (one line: one process).
    const runningWith = (output: string) => output.split('\n').filter((line) => line.includes('launcher running')).map((line) => line.replace(/^.*node options: /, ''));

    // `node scripts/local/launch.cjs`, without the flag: the launcher's stand-in runs the cloud with it.
    const direct = await launch(join(dir.path, 'data'), { args: [join(REPO_ROOT, 'scripts', 'local', 'launch.cjs')] });
    expect((await fetch(`${direct.url}/api/products`)).status).toBe(200);
    expect(runningWith(direct.output.text)).toEqual(['--single-threaded-gc']);
    expect(await direct.stop()).toBe(0);

    const parallel = await launch(join(dir.path, 'data'), { env: { LOCAL_V8_GC: 'parallel' } });
    expect((await fetch(`${parallel.url}/api/products`)).status).toBe(200);
    expect(runningWith(parallel.output.text)).toEqual(['none']);
    expect(await parallel.stop()).toBe(0);
  });

  it('leaves the plan of its first instances, whose threads the next start begins before loading the start script (D87)', async () => {
    const plan = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', '.cache', 'fc-local', 'standby-plan.json'), 'utf8')) as { instances: { bundleFile: string; memorySizeMb: number }[] };
    const bff = join(REPO_ROOT, 'dist', 'product-bff', 'index.js');
    expect(plan.instances).toContainEqual({ bundleFile: bff, memorySizeMb: 512 });
    const { output, url, stop } = await launch(join(dir.path, 'data'));
    const res = await fetch(`${url}/api/products`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { degraded: unknown[] }).degraded).toEqual([]);
    const trace = output.text.split('\n').filter((line) => line.startsWith('[trace]'));
    const at = (text: string) => trace.findIndex((line) => line.includes(text));
    expect(at(`standby instance threads starting: ${plan.instances.length}`)).toBeGreaterThanOrEqual(0);
    expect(at(`standby instance threads starting`)).toBeLessThan(at('loading the start script'));
    // The first stands by before the start script is loaded; the others start one after the other and are taken
    // if they stand by in time (a machine busy enough may start one the usual way) — none is left over.
    expect(at(`standby thread taken for ${plan.instances[0]!.bundleFile}`)).toBeGreaterThan(0);
    expect(at('standby threads not taken')).toBe(-1);
    expect(await stop()).toBe(0);
  });

  it('stopped right after its first page, leaves the start script\'s code cache with the code start-up ran (D103)', async () => {
    const codeCache = join(REPO_ROOT, 'node_modules', '.cache', 'fc-local', 'code-cache');
    const cacheFile = join(codeCache, `${createHash('sha1').update(join(REPO_ROOT, 'node_modules', '.cache', 'fc-local', 'start.js')).digest('hex').slice(0, 20)}.bin`);
    const phase = () => {
      const bytes = readFileSync(cacheFile);
      return (JSON.parse(bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString('utf8')) as { phase: string }).phase;
    };
    // No cache: this start writes one of the script's top level as it loads (phase "loaded").
    rmSync(cacheFile, { force: true });
    const port = await freePort();
    const env = { ...process.env, PORT: String(port), OSS_PORT: String(await freePort()), TABLESTORE_PORT: String(await freePort()), MNS_PORT: String(await freePort()), FNF_PORT: String(await freePort()), DATA_DIR: join(dir.path, 'data'), WATCH: '0', NO_COLOR: '1', FC_LOCAL_QUIET: '1', FC_LOCAL_TRACE: '1' };
    const started = spawn(process.execPath, npmStartArgs(), { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = started;
    let output = '';
    started.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => started.once('exit', resolve));
    // As the startup bench and a quick look do: the first page, then stop at once — before the cloud reports ready.
    await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/api/products`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
    }, { timeoutMs: 60_000 });
    started.kill('SIGTERM');
    await exited;
    expect(output).toMatch(/first page answered: start script code cache holds start-up/);
    // The cache now holds what start-up ran, not only the top level, and no write was cut in half.
    expect(phase()).toBe('invoked');
    expect(readdirSync(codeCache).filter((file) => file.startsWith(basename(cacheFile)) && file.endsWith('.tmp'))).toEqual([]);
  });
});
