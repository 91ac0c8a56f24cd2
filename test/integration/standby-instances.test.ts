import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import { discardStandbyInstances, readStandbyPlan, standbyCount, standingBy, startStandbyInstances, writeStandbyPlan } from '../../scripts/local/runtime/standby-instances';
import { instanceWorkerFile } from '../../scripts/local/runtime/worker-file';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * Standby instance threads (D87): the launcher starts the first call tree's threads before the local cloud is up;
 * each compiles its bundle and runs nothing of it until an instance of its function takes it with the function's
 * environment. What a function can observe must be what a new thread would have given it.
 *
 * The bundle reports what its top level saw (its environment, when it ran), its thread's id (ids grow with each
 * thread started, so a thread older than a probe started once the standby stood by is the standby's), and its
 * heap limit.
 */
const bundle = (version: string) => `
const atLoad = { mark: process.env.MARK, loadedAt: Date.now() };
exports.handler = async () => JSON.stringify({
  version: ${JSON.stringify(version)},
  atLoad,
  env: { ...process.env },
  threadId: require('worker_threads').threadId,
  heapLimit: require('v8').getHeapStatistics().heap_size_limit,
});
`;

interface Answer {
  version: string;
  atLoad: { mark?: string; loadedAt: number };
  env: Record<string, string>;
  threadId: number;
  heapLimit: number;
}

describe('standby instance threads', () => {
  const dir = tempDir('standby-');
  const cacheDir = join(dir.path, 'code-cache');
  const runtimes: FunctionRuntime[] = [];
  afterEach(async () => {
    await discardStandbyInstances();
    await Promise.all(runtimes.splice(0).map((rt) => rt.close()));
  });
  afterAll(() => dir.cleanup());

  const functionIn = (folder: string, memorySize = 128): FunctionSpec => ({ resource: folder, name: `${folder}-fn`, runtime: 'nodejs20', codeDir: join(dir.path, folder), handler: 'index.handler', memorySize, timeout: 30, environment: {}, triggers: [] }) as unknown as FunctionSpec;
  const runtimeFor = (fn: FunctionSpec, env: Record<string, string>) => {
    const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions: [fn], routes: [], flows: [], rendered: {} } as unknown as AppSpec;
    const rt = new FunctionRuntime(spec, { envFor: () => env });
    runtimes.push(rt);
    return rt;
  };
  const invoke = async (rt: FunctionRuntime, fn: FunctionSpec): Promise<Answer> => {
    const record = await rt.invoke(fn.name, Buffer.from('{}'), { source: 'test' });
    expect(record.status).toBe('succeeded');
    return JSON.parse(record.payload.toString()) as Answer;
  };
  const standBy = async (fn: FunctionSpec, memorySizeMb = fn.memorySize) => {
    startStandbyInstances({ instances: [{ bundleFile: join(fn.codeDir, 'index.js'), memorySizeMb }] }, instanceWorkerFile(), cacheDir);
    await eventually(() => expect(standingBy()).toBe(1));
    return { at: Date.now(), threadId: await probeThreadId() };
  };
  /** The id of a thread started now. */
  const probeThreadId = async () => {
    const probe = new Worker('', { eval: true });
    const id = probe.threadId;
    await probe.terminate();
    return id;
  };

  it('becomes the instance: the bundle runs only then, with the function environment alone, and serves', async () => {
    dir.write('plain/index.js', bundle('one'));
    const fn = functionIn('plain');
    process.env.ONLY_IN_THE_LAUNCHER = 'leak';
    let standing: { at: number; threadId: number };
    try {
      standing = await standBy(fn);
    } finally {
      delete process.env.ONLY_IN_THE_LAUNCHER;
    }
    const env = { MARK: 'function env', PATH: '/usr/bin' };
    const answer = await invoke(runtimeFor(fn, env), fn);
    expect(standbyCount()).toBe(0);
    // The thread is the standby's (it began before the instance was asked for), its code ran once it was taken.
    expect(answer.threadId).toBeLessThan(standing.threadId);
    expect(answer.atLoad.loadedAt).toBeGreaterThanOrEqual(standing.at);
    expect(answer.atLoad.mark).toBe('function env');
    expect(answer.env).toEqual(env);
    expect(answer.version).toBe('one');

    // The same heap limit as an instance started the usual way.
    const usual = await invoke(runtimeFor(functionIn('plain'), env), fn);
    expect(usual.threadId).toBeGreaterThan(standing.threadId);
    expect(answer.heapLimit).toBe(usual.heapLimit);
  });

  it('runs the bundle as it is when it changed after the standby compiled it', async () => {
    dir.write('changed/index.js', bundle('old'));
    const fn = functionIn('changed');
    const standing = await standBy(fn);
    writeFileSync(join(fn.codeDir, 'index.js'), bundle('new, and longer'));
    const answer = await invoke(runtimeFor(fn, { MARK: 'x' }), fn);
    expect(answer.threadId).toBeLessThan(standing.threadId);
    expect(answer.version).toBe('new, and longer');
  });

  it('is not taken for another memory size, and ends when discarded', async () => {
    dir.write('sized/index.js', bundle('sized'));
    const fn = functionIn('sized', 128);
    const standing = await standBy(fn, 256);
    const answer = await invoke(runtimeFor(fn, { MARK: 'x' }), fn);
    expect(answer.threadId).toBeGreaterThan(standing.threadId);
    expect(standbyCount()).toBe(1);
    await discardStandbyInstances();
    expect(standbyCount()).toBe(0);
  });

  it('reports a bundle that fails to load as a start of the usual kind would', async () => {
    dir.write('broken/index.js', 'if (process.env.MARK !== "ok") throw new Error("MARK is not ok");\nexports.handler = async () => "fine";');
    const fn = functionIn('broken');
    await standBy(fn);
    const record = await runtimeFor(fn, { MARK: 'wrong' }).invoke(fn.name, Buffer.from('{}'), { source: 'test' });
    expect(record.status).toBe('failed');
    expect(record.error?.errorMessage).toMatch(/MARK is not ok/);
  });

  it('keeps the plan for the next start, rewriting it only when it changed', () => {
    const file = join(dir.path, 'plan.json');
    const plan = { instances: [{ bundleFile: '/x/index.js', memorySizeMb: 256 }] };
    writeStandbyPlan(file, plan);
    expect(readStandbyPlan(file)).toEqual(plan);
    expect(readStandbyPlan(join(dir.path, 'none.json'))).toBeUndefined();
  });
});
