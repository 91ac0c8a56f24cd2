/**
 * A function bundle using the MNS adapters runs where only its folder exists, as on FC: esbuild with the
 * project's bundle options (`scripts/build/functions.ts`, `babel-runtime` external: @alicloud/mns never
 * reaches it on Node 20), copied to a folder with no node_modules above it, loaded in a fresh Node process,
 * and driven against the MNS emulator through `queueFor` / `topicFor` (the production wiring).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { EXTERNALS } from '../../scripts/build/functions';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { QUEUE_DEFAULTS, startMnsEmulator, type MnsEmulator } from '../../scripts/local/emulators/mns';
import { tempDir } from '../helpers/temp';

const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/** A handler like the IoT and order functions will have: send, receive and delete a batch, publish. */
const ENTRY = `
import { queueFor } from '#shared/aliyun/deps/queue';
import { topicFor } from '#shared/aliyun/deps/topic';
import type { FcContext } from '#shared/fc/types';

export const handler = async (event: Buffer, context: FcContext) => {
  const { queue, topic } = JSON.parse(event.toString()) as { queue: string; topic: string };
  const q = queueFor(context);
  const sent = await q.sendBatch(queue, [{ body: 'a <&> ü' }, { body: 'b' }]);
  const got = await q.receive(queue, { max: 16, waitSeconds: 1 });
  const deleted = await q.deleteBatch(queue, got.map((m) => m.receiptHandle));
  const published = await topicFor(context).publish(topic, { body: 'alert', tag: 'critical' });
  return { sent: sent.length, bodies: got.map((m) => m.body).sort(), failed: deleted.failed.length, published: typeof published.messageId };
};
`;

const CALLER = `
const { handler } = require(process.argv[1]);
const context = { requestId: 'r1', credentials: JSON.parse(process.env.CREDENTIALS), region: 'cn-hangzhou', accountId: process.env.ACCOUNT_ID,
  function: { name: 'bundle-test', handler: 'index.handler', memory: 128, timeout: 10 }, logger: console };
handler(Buffer.from(process.argv[2]), context).then((r) => process.stdout.write(JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });
`;

describe('a bundle using the MNS adapters', () => {
  const dir = tempDir('mns-bundle-');
  let mns: MnsEmulator;

  beforeAll(async () => {
    mns = await startMnsEmulator({ dataDir: join(dir.path, 'data'), region: 'cn-hangzhou', port: 0 });
  });
  afterAll(async () => {
    await mns?.close();
    dir.cleanup();
  });

  it('loads and works from a folder with no node_modules', async () => {
    const out = join(dir.path, 'code', 'index.js');
    await build({
      stdin: { contents: ENTRY, resolveDir: ROOT, sourcefile: 'mns-handler.ts', loader: 'ts' },
      outfile: out,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: EXTERNALS,
      tsconfig: join(ROOT, 'tsconfig.json'),
      logLevel: 'silent',
    });
    for (let d = dirname(out); dirname(d) !== d; d = dirname(d)) expect(existsSync(join(d, 'node_modules'))).toBe(false);

    mns.queues.createQueue('bundle-q', QUEUE_DEFAULTS);
    mns.topics.createTopic('bundle-t', { maximumMessageSize: 65536, loggingEnabled: false });
    const { stdout } = await run(process.execPath, ['-e', CALLER, out, JSON.stringify({ queue: 'bundle-q', topic: 'bundle-t' })], {
      cwd: dirname(out),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', MNS_ENDPOINT: mns.endpoint, ACCOUNT_ID: LOCAL_ACCOUNT_ID, CREDENTIALS: JSON.stringify(LOCAL_CREDENTIALS) },
      timeout: 30000,
    });
    expect(JSON.parse(stdout)).toEqual({ sent: 2, bodies: ['a <&> ü', 'b'], failed: 0, published: 'string' });
    expect(mns.topics.getTopic('bundle-t').messageCount).toBe(1);
  });
});
