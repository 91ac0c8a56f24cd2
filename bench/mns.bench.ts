/**
 * MNS emulator throughput (issue 9): messages/s for send + receive + delete in 16-message batches —
 * BatchSendMessage, BatchReceiveMessage, BatchDeleteMessage — through the official `@alicloud/mns` SDK over
 * HTTP (signing, XML both ways, signature check), against a baseline in the same run: the same queue work done
 * directly on the emulator's SQLite store in this process (no HTTP, no XML, no signatures), so the ratio is
 * what the wire costs. Measured with one client and with 4 clients on 4 queues at once (each client a
 * send → receive → delete loop), and with one client on a queue holding a 20,000-message backlog (a receive
 * must cost the same however long the queue is). Paths are interleaved in rounds so drift on a shared machine
 * hits them alike.
 */
import { join } from 'node:path';
import MNS from '@alicloud/mns';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../scripts/local/credentials';
import { QUEUE_DEFAULTS, startMnsEmulator, type MnsEmulator } from '../scripts/local/emulators/mns';
import { tempDir } from '../test/helpers/temp';
import { report, type Goal } from './lib';

const BATCH = 16;
const ROUNDS = 6;
const BATCHES_PER_ROUND = 60;
/**
 * Goal: the IoT ingest target is 20,000 readings/s, sent as messages of up to 500 readings (one device batch,
 * ≤ 64 KB): at 20 readings per message that is 1,000 messages/s, so the emulator must sustain at least that.
 */
const GOAL_MESSAGES_PER_S = 1000;
const BACKLOG = 20000;
/** A backlog must not slow the loop down by more than this. */
const GOAL_BACKLOG_RATIO = 0.7;

const body = (i: number) => Buffer.from(JSON.stringify({ deviceId: `dev-${i % 100}`, readings: Array.from({ length: 8 }, (_, k) => ({ ts: 1795608000000 + k, metric: 'temp', value: 20 + k / 10 })) })).toString('base64');

async function viaSdk(sdk: MNS, queue: string, batches: number): Promise<number> {
  let moved = 0;
  for (let b = 0; b < batches; b++) {
    await sdk.batchSendMessage(queue, Array.from({ length: BATCH }, (_, i) => ({ MessageBody: body(b * BATCH + i), Priority: 1 })));
    let left = BATCH;
    while (left > 0) {
      const got = (await sdk.batchReceiveMessage(queue, left)).body;
      const res = await sdk.batchDeleteMessage(queue, got.map((m) => m.ReceiptHandle));
      if (res.body?.length) throw new Error(`delete failed: ${JSON.stringify(res.body)}`);
      left -= got.length;
      moved += got.length;
    }
  }
  return moved;
}

async function direct(mns: MnsEmulator, queue: string, batches: number): Promise<number> {
  let moved = 0;
  for (let b = 0; b < batches; b++) {
    mns.queues.send(queue, Array.from({ length: BATCH }, (_, i) => ({ body: body(b * BATCH + i) })));
    let left = BATCH;
    while (left > 0) {
      const got = mns.queues.receive(queue, left);
      const failed = mns.queues.deleteBatch(queue, got.map((m) => m.receiptHandle));
      if (failed.length) throw new Error(`delete failed: ${JSON.stringify(failed)}`);
      left -= got.length;
      moved += got.length;
    }
    // Let the event loop breathe like the HTTP path does (and keep the comparison about the work, not starvation).
    await new Promise((resolve) => setImmediate(resolve));
  }
  return moved;
}

async function rate(run: () => Promise<number>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const moved = await run();
  return moved / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = tempDir('bench-mns-');
  const mns = await startMnsEmulator({ dataDir: join(dir.path, 'data'), region: 'cn-hangzhou', port: 0 });
  try {
    const queues = ['bench-0', 'bench-1', 'bench-2', 'bench-3'];
    for (const q of [...queues, 'bench-backlog']) mns.queues.createQueue(q, QUEUE_DEFAULTS);
    // The backlog sits behind the loop's own messages (lower priority), so every receive walks past nothing but
    // must still find the loop's messages among 20,000 others.
    for (let i = 0; i < BACKLOG; i += BATCH) mns.queues.send('bench-backlog', Array.from({ length: BATCH }, (_, k) => ({ body: body(i + k), priority: 16 })));
    const sdks = queues.map(() => new MNS(LOCAL_ACCOUNT_ID, { endpoint: mns.endpoint, ...LOCAL_CREDENTIALS }));
    // Warm-up: JIT, statement caches, keep-alive sockets.
    await viaSdk(sdks[0]!, queues[0]!, 20);
    await direct(mns, queues[0]!, 20);

    const samples = { sdk1: [] as number[], direct1: [] as number[], sdk4: [] as number[], direct4: [] as number[], sdkBacklog: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      samples.sdk1.push(await rate(() => viaSdk(sdks[0]!, queues[0]!, BATCHES_PER_ROUND)));
      samples.direct1.push(await rate(() => direct(mns, queues[0]!, BATCHES_PER_ROUND)));
      samples.sdk4.push(await rate(async () => (await Promise.all(queues.map((q, i) => viaSdk(sdks[i]!, q, BATCHES_PER_ROUND / 2)))).reduce((a, b) => a + b, 0)));
      samples.direct4.push(await rate(async () => (await Promise.all(queues.map((q) => direct(mns, q, BATCHES_PER_ROUND / 2)))).reduce((a, b) => a + b, 0)));
      samples.sdkBacklog.push(await rate(() => viaSdk(sdks[0]!, 'bench-backlog', BATCHES_PER_ROUND)));
    }
    const m = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, Math.round(median(v))])) as Record<keyof typeof samples, number>;
    const goals: Goal[] = [
      {
        name: `send+receive+delete in 16-message batches through @alicloud/mns ≥ ${GOAL_MESSAGES_PER_S} messages/s (4 clients)`,
        measured: `${m.sdk4} messages/s with 4 clients, ${m.sdk1} with 1 (direct SQLite baseline: ${m.direct4} / ${m.direct1}; the wire costs ×${(m.direct4 / m.sdk4).toFixed(1)})`,
        met: m.sdk4 >= GOAL_MESSAGES_PER_S,
      },
      {
        name: `the same loop on a queue with a ${BACKLOG}-message backlog keeps ≥ ${GOAL_BACKLOG_RATIO}× the empty-queue rate`,
        measured: `${m.sdkBacklog} messages/s vs ${m.sdk1} (×${(m.sdkBacklog / m.sdk1).toFixed(2)})`,
        met: m.sdkBacklog >= GOAL_BACKLOG_RATIO * m.sdk1,
      },
    ];
    report({
      name: 'mns',
      description: 'MNS emulator: messages/s for send+receive+delete in 16-message batches (SDK over HTTP vs the same SQLite work in-process)',
      results: {
        messagesPerSecond: { sdkOneClient: m.sdk1, sdkFourClients: m.sdk4, directOneClient: m.direct1, directFourClients: m.direct4, sdkOneClientWithBacklog: m.sdkBacklog },
        backlog: BACKLOG,
        wireCostRatio: { oneClient: Number((m.direct1 / m.sdk1).toFixed(2)), fourClients: Number((m.direct4 / m.sdk4).toFixed(2)) },
        samples,
        batch: BATCH,
        rounds: ROUNDS,
        batchesPerRound: BATCHES_PER_ROUND,
        bodyBytes: body(0).length,
        requestsPerBatch: 3,
      },
      goals,
    });
  } finally {
    await mns.close();
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
