import { EventEmitter } from 'node:events';
import type { LocalCloud } from '../../scripts/local/cloud';
import { backgroundBuildsLine, createLogPrinter, formatBanner, formatFailure, printFailures, startFailureText } from '../../scripts/local/terminal';

/** `npm start`'s log printer: what a newcomer reads on the first screen. */
describe('the npm start log printer', () => {
  const DEP = '(node:4242) [DEP0005] DeprecationWarning: Buffer() is deprecated due to security and usability issues.';
  const HINT = '(Use `node --trace-deprecation ...` to show where the warning was created)';

  it('prints a Node runtime warning once, not once per function instance', () => {
    const print = createLogPrinter();
    const first = print('product-info', `${DEP}\n${HINT}\n`);
    expect(first).toContain('[DEP0005]');
    expect(first).toContain('--trace-deprecation');
    // Every new instance of every function starts by printing the same two lines.
    for (const fn of ['product-price', 'product-info', 'iot-devices']) {
      expect(print(fn, `${DEP}\n`)).toBe('');
      expect(print(fn, `${HINT}\n`)).toBe('');
    }
  });

  it('still prints a different warning, and every ordinary log line', () => {
    const print = createLogPrinter();
    print('a', `${DEP}\n${HINT}\n`);
    expect(print('b', '(node:1) [DEP0040] DeprecationWarning: The `punycode` module is deprecated.\n')).toContain('[DEP0040]');
    expect(print('b', '{"level":"info","msg":"hello"}\n')).toMatch(/^b\s+info\s+hello\n$/);
    expect(print('b', '{"level":"info","msg":"hello"}\n')).toMatch(/^b\s+info\s+hello\n$/);
  });
});

/** A function that throws, times out or runs out of memory says so on npm start's screen, as FC's log does. */
describe('the npm start failure lines', () => {
  const base = { resource: 'my-hello', source: 'http', requestId: '1-abc', retryCount: 0 };

  it('names the error, the first frame of its stack, the cause and the request', () => {
    const line = formatFailure({ ...base, status: 'failed', error: { errorType: 'Error', errorMessage: 'boom from my-hello', stackTrace: ['at handler (functions/my-hello/handler.ts:7:26)', 'at next (x.js:1:1)'] } });
    expect(line).toMatch(/^my-hello\s+ERROR Error: boom from my-hello at handler \(functions\/my-hello\/handler\.ts:7:26\) \(http; request 1-abc\)\n$/);
  });

  it('says an error thrown while the code was imported happened at load, before any handler ran (D149)', () => {
    const line = formatFailure({ ...base, status: 'failed', atLoad: true, error: { errorType: 'Error', errorMessage: 'boom at import', stackTrace: ['at Object.<anonymous> (functions/my-hello/handler.ts:1:7)'] } });
    expect(line).toMatch(/^my-hello\s+ERROR at load \(importing the code, before the handler ran\): Error: boom at import at Object\.<anonymous> \(functions\/my-hello\/handler\.ts:1:7\) \(http; request 1-abc\)\n$/);
    expect(formatFailure({ ...base, status: 'failed', error: { errorType: 'Error', errorMessage: 'boom' } })).not.toContain('at load');
  });

  it('names the innermost frame of a Python error (FC lists its frames outermost first, D131)', () => {
    const stackTrace = [['File "/app/index.py"', 'line 9', 'in handler', 'return parse(event)'], ['File "/app/lib.py"', 'line 3', 'in parse', 'raise ValueError(x)']];
    const line = formatFailure({ ...base, status: 'failed', error: { errorType: 'ValueError', errorMessage: 'bad event', stackTrace } });
    expect(line).toMatch(/^my-hello\s+ERROR ValueError: bad event File "\/app\/lib\.py", line 3, in parse \(http; request 1-abc\)\n$/);
  });

  it('writes a timeout or the memory limit as FC words them, and an async retry with its attempt', () => {
    expect(formatFailure({ ...base, status: 'timeout', error: { errorType: 'FunctionTimeout', errorMessage: 'Function timed out after 3 seconds' } })).toContain('ERROR Function timed out after 3 seconds (http;');
    const oom = formatFailure({ ...base, source: 'oss:uploads', retryCount: 2, status: 'failed', error: { errorType: 'OutOfMemory', errorMessage: 'Function exceeded its memory limit of 128 MB' } });
    expect(oom).toContain('ERROR Function exceeded its memory limit of 128 MB (oss:uploads, retry 2; request 1-abc)');
  });

  it('keeps one line: the first line of a long message, cut at 300 characters', () => {
    const line = formatFailure({ ...base, status: 'failed', error: { errorType: 'RequestError', errorMessage: `${'x'.repeat(400)}\nheaders: {}` } });
    expect(line.split('\n')).toHaveLength(2);
    expect(line).toContain(`RequestError: ${'x'.repeat(300)}…`);
  });

  it('prints failed and timed-out invocations, not successes nor 429s', () => {
    const runtime = new EventEmitter();
    const lines: string[] = [];
    printFailures(runtime, (line) => lines.push(line));
    for (const status of ['succeeded', 'throttled', 'failed', 'timeout']) {
      runtime.emit('invocation', { ...base, status, error: { errorType: 'Error', errorMessage: status } });
    }
    expect(lines.map((l) => /ERROR Error: (\w+)/.exec(l)?.[1] ?? l)).toEqual(['failed', 'timeout']);
  });
});

/** What npm start prints when it cannot start. */
describe('the npm start failure text', () => {
  it('prints a build error as esbuild’s file:line lines, without the error object', async () => {
    const { build } = await import('esbuild');
    const failure = await build({ stdin: { contents: 'export const oops = (;', sourcefile: 'functions/my-fn/handler.ts', loader: 'ts' }, write: false, logLevel: 'silent' }).catch((err: unknown) => err);
    const text = startFailureText(failure, '9000');
    expect(text).toBe('the build failed, so the local cloud did not start:\nfunctions/my-fn/handler.ts:1:21: ERROR: Unexpected ";"');
  });

  it('says a build failing after the ready line (a bundle building in the background) stops a cloud that answered (D169)', async () => {
    const { build } = await import('esbuild');
    const failure = await build({ stdin: { contents: 'export const oops = (;', sourcefile: 'functions/my-fn/handler.ts', loader: 'ts' }, write: false, logLevel: 'silent' }).catch((err: unknown) => err);
    expect(startFailureText(failure, '9000', 'npm start', true)).toBe('a bundle building in the background failed, so the local cloud stops:\nfunctions/my-fn/handler.ts:1:21: ERROR: Unexpected ";"');
  });

  it('words a port in use and keeps s.yaml problems as they are', () => {
    const inUse = (port?: number) => Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }, port ? { port } : {});
    expect(startFailureText(inUse(9200), '9200')).toBe('port 9200 (the gateway, PORT) is in use: stop the process that holds it, or start with PORT=9300 npm start (ports 9300–9304)');
    expect(startFailureText(inUse(), '9200')).toBe('port 9200 (the gateway, PORT) is in use: stop the process that holds it, or start with PORT=9300 npm start (ports 9300–9304)');
    // A service's port names that port, not the gateway's (which was free: the user would find nothing there).
    expect(startFailureText(inUse(9202), '9200')).toBe('port 9202 (TableStore, PORT+2) is in use: stop the process that holds it, or start with PORT=9300 npm start (ports 9300–9304)');
    // The TableStore thread's error, re-created in the main thread, keeps the port in its message only.
    const fromThread = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9202'), { code: 'EADDRINUSE' });
    expect(startFailureText(fromThread, '9200')).toMatch(/^port 9202 \(TableStore, PORT\+2\) is in use/);
    expect(startFailureText(inUse(9001), '9000')).toMatch(/^port 9001 \(OSS, PORT\+1\) is in use/);
    expect(startFailureText(inUse(7777), '9000')).toMatch(/^port 7777 is in use: stop the process that holds it, or start with/);
    // A project of the user's own is started again as one (D154): the plain command would start this suite.
    expect(startFailureText(inUse(9000), '9000', 'npm start -- -t ../app/s.yaml')).toBe('port 9000 (the gateway, PORT) is in use: stop the process that holds it, or start with PORT=9100 npm start -- -t ../app/s.yaml (ports 9100–9104)');
    const spec = Object.assign(new Error('the local cloud cannot run this s.yaml:\n- s.yaml x: y'), { name: 'SpecErrors' });
    expect(startFailureText(spec, '9000')).toBe(spec.message);
  });
});

/** The ready line says when the local cloud answered; bundles still building then are reported on a line of their own (D169). */
describe('the npm start ready line', () => {
  const cloud = (timings: Record<string, number>) =>
    ({
      url: 'http://127.0.0.1:9000',
      dataDir: '/tmp/data',
      timings,
      spec: { baseDir: '/tmp/app', name: 'app', routes: [], functions: [], flows: [], infra: { buckets: [], tables: [], queues: [], topics: [] } },
      oss: { endpoint: 'http://127.0.0.1:9001' },
      tablestore: { endpoint: 'http://127.0.0.1:9002' },
      mns: { emulator: { endpoint: 'http://127.0.0.1:9003' } },
      fnf: { endpoint: 'http://127.0.0.1:9004' },
    }) as unknown as LocalCloud;

  it('names the bundles still building when it answered before they were built, and reports them once built', () => {
    const building = cloud({ bundlesReused: 0, seed: 40 });
    expect(formatBanner(building, 1945)).toMatch(/Local cloud ready\S* in 1945 ms \S*\(the other bundles building in the background, seed 40 ms\)/);
    building.timings.build = 6843;
    expect(backgroundBuildsLine(building, 7512)).toContain('background builds done in 7512 ms (build 6843 ms): every function is bundled');
  });

  it('says the build time when the build was done by then, and that the bundles were reused when they were', () => {
    expect(formatBanner(cloud({ bundlesReused: 0, build: 900, seed: 40 }), 1200)).toContain('(build 900 ms, seed 40 ms)');
    expect(formatBanner(cloud({ bundlesReused: 1, seed: 0 }), 700)).toContain('(bundles up to date, seed 0 ms)');
  });
});
