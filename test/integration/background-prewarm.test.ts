import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FunctionRuntime, type InvocationRecord } from '../../scripts/local/runtime/runtime';
import { warmFirstCallTree } from '../../scripts/local/startup';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * Warming the functions nobody has asked for yet happens between requests (docs/decisions.md D61): a product
 * page opened right after the local cloud said ready shared the two CPUs with cold starts of the other apps'
 * functions, and a part missed the BFF's 300 ms budget. The start-up passes `whenIdle` as `beforeEach`.
 *
 * Nothing here depends on timing: gates are promises and files the test opens, and each instance writes the
 * moment its module loaded, which is compared with the moment a gated invocation ended.
 */
const FUNCTION_CODE = `
const fs = require('fs');
const path = require('path');
const name = process.env.NAME;
fs.writeFileSync(path.join(__dirname, 'booted-' + name), String(Date.now()));
exports.handler = async (event) => {
  const { gate } = JSON.parse(event.toString());
  while (gate && !fs.existsSync(path.join(__dirname, gate))) await new Promise((resolve) => setTimeout(resolve, 20));
  fs.writeFileSync(path.join(__dirname, 'ended-' + name), String(Date.now()));
  return 'done';
};
`;

function setup(names: string[]) {
  const dir = tempDir('background-prewarm-');
  const functions = names.map((name): FunctionSpec => {
    dir.write(join(name, 'index.js'), FUNCTION_CODE);
    return { resource: name, name, runtime: 'nodejs20', codeDir: join(dir.path, name), handler: 'index.handler', memorySize: 128, timeout: 120, environment: { NAME: name }, triggers: [] };
  });
  const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions, routes: [], flows: [], rendered: {} } as unknown as AppSpec;
  const runtime = new FunctionRuntime(spec, { envFor: (fn) => fn.environment });
  const instances = (name: string) => runtime.poolStats().find((pool) => pool.name === name)?.instances ?? 0;
  const stamp = (file: string) => Number(readFileSync(join(dir.path, file), 'utf8'));
  /** `page` warm and serving a request that runs until the test writes `page/release` (wrapped: awaiting it would wait for the end). */
  const pageRequestRunning = async (): Promise<{ request: Promise<InvocationRecord> }> => {
    await runtime.prewarm(['page']);
    const request = runtime.invoke('page', Buffer.from(JSON.stringify({ gate: 'release' })), { source: 'test' });
    await eventually(() => expect(runtime.poolStats().find((pool) => pool.name === 'page')).toMatchObject({ busy: 1 }));
    return { request };
  };
  return { dir, runtime, instances, stamp, pageRequestRunning };
}

describe('background prewarm', () => {
  it('awaits beforeEach before each instance it starts, one at a time with concurrency 1', async () => {
    const { dir, runtime, instances } = setup(['a', 'b']);
    const gates: (() => void)[] = [];
    try {
      const warming = runtime.prewarm(['a', 'b'], { concurrency: 1, beforeEach: () => new Promise<void>((open) => gates.push(open)) });
      await eventually(() => expect(gates).toHaveLength(1));
      // Instances running or starting: none while the first gate is shut.
      expect(runtime.instancesInUse).toBe(0);
      gates[0]!();
      await eventually(() => expect(gates).toHaveLength(2));
      // The second gate is asked for only once the first instance is warm.
      expect([instances('a'), instances('b'), runtime.instancesInUse]).toEqual([1, 0, 1]);
      gates[1]!();
      await warming;
      expect([instances('a'), instances('b')]).toEqual([1, 1]);
    } finally {
      for (const open of gates) open();
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);

  it('with whenIdle, starts nothing while an invocation runs', async () => {
    const { dir, runtime, instances, stamp, pageRequestRunning } = setup(['page', 'other']);
    try {
      const { request } = await pageRequestRunning();
      // A maximum wait far beyond the test's own timeout: only the end of the invocation can let it through.
      let asked = false;
      const beforeEach = () => {
        asked = true;
        return runtime.whenIdle(50, 600_000);
      };
      const warming = runtime.prewarm(['other'], { concurrency: 1, beforeEach });
      // The instance would start now if the prewarm did not wait for the running invocation.
      await eventually(() => expect(asked).toBe(true));
      expect(runtime.instancesInUse).toBe(1);
      dir.write('page/release', '');
      expect((await request).status).toBe('succeeded');
      await warming;
      expect(instances('other')).toBe(1);
      expect(existsSync(join(dir.path, 'page', 'ended-page'))).toBe(true);
      expect(stamp('other/booted-other')).toBeGreaterThanOrEqual(stamp('page/ended-page'));
    } finally {
      dir.write('page/release', '');
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);

  it("warms the first call tree's second part only once what the first part serves is answered (D118)", async () => {
    const { dir, runtime, instances, stamp, pageRequestRunning } = setup(['page', 'detail']);
    try {
      // The first page's request, still running when the first part is warm.
      const { request } = await pageRequestRunning();
      let tailBuilding = false;
      const { headWarm, warmFirst } = warmFirstCallTree(['page'], ['detail'], {
        prewarm: (names) => runtime.prewarm(names),
        onHeadWarm: () => undefined,
        // A maximum wait far beyond the test's own timeout: only the end of the invocation can let the tail through.
        whenIdle: () => runtime.whenIdle(20, 600_000),
        startTreeTail: () => (tailBuilding = true),
      });
      await headWarm;
      // Neither the second part's build nor its instance may start beside the running request.
      await new Promise((resolve) => setImmediate(resolve));
      expect([tailBuilding, instances('detail'), runtime.instancesInUse]).toEqual([false, 0, 1]);
      dir.write('page/release', '');
      expect((await request).status).toBe('succeeded');
      await warmFirst;
      expect([tailBuilding, instances('detail')]).toEqual([true, 1]);
      expect(stamp('detail/booted-detail')).toBeGreaterThanOrEqual(stamp('page/ended-page'));
    } finally {
      dir.write('page/release', '');
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);
});
