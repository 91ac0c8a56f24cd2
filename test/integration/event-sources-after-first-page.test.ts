import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { openControlDb } from '../../scripts/local/control-db';
import { AsyncInvoker } from '../../scripts/local/runtime/async-invoker';
import type { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * A start's event sources — the async invoker's backlog, the MNS queue triggers, the TableStore stream triggers —
 * begin once the first call tree's requests are served, or at ready (docs/decisions.md D132). An event a stopped
 * start left behind ran its function (bundled on demand when its stage had not been built) beside the first page.
 *
 * Nothing here depends on timing: the first call tree's only function holds its initializer until the test writes a
 * file, and the event's state is read from the control database while it is held.
 */
function writeApp(app: string, gates: string): void {
  mkdirSync(join(app, 'functions', 'page'), { recursive: true });
  mkdirSync(join(app, 'code', 'late'), { recursive: true });
  writeFileSync(
    join(app, 's.yaml'),
    `edition: 3.0.0
name: event-sources-fixture
access: default
vars:
  region: cn-hangzhou
x-fn: &fn
  region: \${vars.region}
  runtime: nodejs20
  handler: index.handler
  memorySize: 128
  timeout: 10
  environmentVariables:
    GATE_DIR: ${JSON.stringify(gates)}
resources:
  page:
    component: fc3
    props:
      <<: *fn
      functionName: fx-page
      code: ./dist/page
      instanceLifecycleConfig:
        initializer: { handler: index.initialize, timeout: 120 }
      triggers:
        - triggerName: http
          triggerType: http
          triggerConfig: { authType: anonymous, methods: [GET] }
      customDomain:
        domainName: auto
        protocol: HTTP
        route: { path: /api/page, methods: [GET] }
  late:
    component: fc3
    props: { <<: *fn, functionName: fx-late, code: ./code/late }
`,
  );
  // The first call tree: its prewarmed instance's initializer waits for the test.
  writeFileSync(
    join(app, 'functions', 'page', 'handler.ts'),
    `import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const gates = process.env.GATE_DIR!;
export const initialize = async () => {
  writeFileSync(join(gates, 'init-started'), '');
  while (!existsSync(join(gates, 'release-init'))) await new Promise((resolve) => setTimeout(resolve, 20));
};
export const handler = async () => ({ statusCode: 200, body: 'page' });
`,
  );
  writeFileSync(
    join(app, 'code', 'late', 'index.js'),
    `const { writeFileSync } = require('fs');
const { join } = require('path');
exports.handler = async (event, context) => {
  writeFileSync(join(process.env.GATE_DIR, 'late-ran'), context.requestId);
  return 'ok';
};
`,
  );
}

/** An async event for `fx-late` stored in the data folder, as a start stopped before running it leaves it. */
async function leaveQueuedEvent(dataDir: string): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const db = openControlDb(dataDir);
  const runtime = { find: (name: string) => ({ name }) } as unknown as FunctionRuntime;
  const invoker = new AsyncInvoker(db, runtime, { region: 'cn-hangzhou' });
  try {
    return invoker.enqueue('fx-late', Buffer.from('{}'), 'test');
  } finally {
    // Closed before it drains: the event stays queued, as a stop leaves it.
    await invoker.close();
    db.close();
  }
}

function eventStatus(dataDir: string, requestId: string): string {
  const db = openControlDb(dataDir);
  try {
    return (db.prepare('SELECT status FROM async_invocations WHERE request_id = ?').get(requestId) as { status: string }).status;
  } finally {
    db.close();
  }
}

describe("a start's event sources", () => {
  const dir = tempDir('event-sources-');
  const app = join(dir.path, 'app');
  const gates = join(dir.path, 'gates');
  const dataDir = join(dir.path, 'data');
  let starting: Promise<LocalCloud> | undefined;

  afterAll(async () => {
    // A failed expectation leaves the start held in its initializer: let it finish, then stop it.
    writeFileSync(join(gates, 'release-init'), '');
    const cloud = await starting?.catch(() => undefined);
    await cloud?.stop();
    dir.cleanup();
  });

  it('run an event left by a stopped start only once the first call tree is warm, and by ready', async () => {
    mkdirSync(gates, { recursive: true });
    writeApp(app, gates);
    const requestId = await leaveQueuedEvent(dataDir);
    starting = startLocalCloud({ root: app, port: 0, dataDir, watch: false, env: {} });
    starting.catch(() => undefined);
    // The first call tree's instance is in its initializer: the start is not past its first part.
    await eventually(() => expect(existsSync(join(gates, 'init-started'))).toBe(true), { timeoutMs: 60_000 });
    expect(eventStatus(dataDir, requestId)).toBe('queued');
    expect(existsSync(join(gates, 'late-ran'))).toBe(false);
    writeFileSync(join(gates, 'release-init'), '');
    const cloud = await starting;
    expect((await fetch(`${cloud.url}/api/page`)).status).toBe(200);
    await eventually(() => expect(eventStatus(dataDir, requestId)).toBe('succeeded'));
    expect(existsSync(join(gates, 'late-ran'))).toBe(true);
  }, 120_000);
});
