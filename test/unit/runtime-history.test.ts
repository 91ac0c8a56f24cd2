import { FunctionRuntime, newRequestId } from '../../scripts/local/runtime/runtime';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';

/** A function that never starts an instance here: every invocation fails by an injected fault, which is recorded like any other. */
const fn: FunctionSpec = { resource: 'fx-history', name: 'fx-history', runtime: 'nodejs20', codeDir: '/nonexistent', handler: 'index.handler', memorySize: 128, timeout: 3, environment: {}, triggers: [] };

describe('the invocation history', () => {
  let runtime: FunctionRuntime;
  beforeEach(() => {
    runtime = new FunctionRuntime({ region: 'cn-hangzhou', functions: [fn] } as unknown as AppSpec, { envFor: () => ({}), historySize: 3 });
    runtime.setFault(fn.name, { error: 'injected' });
  });
  afterEach(() => runtime.close());

  const invoke = (requestId: string) => runtime.invoke(fn.name, Buffer.from('{}'), { source: 'test', requestId });

  it('keeps the newest invocations up to its size, newest first, when it has wrapped around several times', async () => {
    for (let i = 1; i <= 8; i++) await invoke(`r${i}`);
    expect(runtime.recent().map((r) => r.requestId)).toEqual(['r8', 'r7', 'r6']);
    expect(runtime.recent({ limit: 2 }).map((r) => r.requestId)).toEqual(['r8', 'r7']);
    expect(runtime.recent({ functionName: fn.resource, limit: 1 }).map((r) => r.requestId)).toEqual(['r8']);
  });

  it('lists what it has before it is full', async () => {
    await invoke('a');
    await invoke('b');
    expect(runtime.recent().map((r) => r.requestId)).toEqual(['b', 'a']);
    expect(runtime.recent({ functionName: 'another' })).toEqual([]);
  });
});

describe('request ids', () => {
  it("have FC's shape: 1-<second in hex>-<8 hex>-<12 hex>, and differ", () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newRequestId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{12}$/);
  });
});
