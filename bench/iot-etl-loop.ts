/**
 * `iot-etl`'s CPU per 1 000 readings, alone: its handler called in a loop with the events the local cloud's MNS
 * trigger builds (64 messages of ≤ 500 readings, CloudEvents), writing through the real adapter and SDK to the
 * TableStore emulator in its own thread, as in the local cloud. The CPU counted is this thread's (the function's),
 * from `/proc/self/task/<pid>/stat`. `npx tsx bench/iot-etl-loop.ts` (`BENCH_ROUNDS`, default 8;
 * `node --cpu-prof --import tsx bench/iot-etl-loop.ts` for a profile of the function's side).
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { handler } from '../functions/iot-etl/handler';
import { toMessages } from '../functions/iot-ingest/core';
import { startLocalTableStore } from '../scripts/local/local-tablestore';
import { loadSpec } from '../scripts/local/spec/load';
import { LOCAL_CREDENTIALS } from '../scripts/local/credentials';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const MESSAGES = 64;
const DEVICES = 100;

function threadCpuMs(thread = process.pid): number {
  const stat = readFileSync(`/proc/self/task/${thread}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** One invocation's event: every device's readings of `seconds` seconds at 10 Hz per metric. */
function event(round: number, base: number): { body: Buffer; readings: number } {
  const items: unknown[] = [];
  let readings = 0;
  for (let d = 0; items.length < MESSAGES; d++) {
    const deviceId = `dev_${String(round).padStart(13, '0')}${String(d % DEVICES).padStart(13, '0')}`;
    const from = base - 20_000 + Math.floor(d / DEVICES) * 17_000;
    const points = Array.from({ length: 500 }, (_, i) => ({ ts: from + Math.floor(i / 3) * 100, metric: ['temperature', 'humidity', 'co2'][i % 3]!, value: 20 + (i % 7), seq: i }));
    for (const body of toMessages({ deviceId, type: 'env-sensor' }, points, randomUUID(), base)) {
      readings += (JSON.parse(body) as { groups: { points: unknown[] }[] }).groups.reduce((n, g) => n + g.points.length, 0);
      items.push({
        id: randomUUID(), source: 'MNS-bench', specversion: '1.0', type: 'mns:Queue:SendMessage', datacontenttype: 'application/json; charset=utf-8',
        subject: 'acs:mns:cn-hangzhou:1:queues/iot-readings', time: new Date().toISOString(),
        data: { requestId: 'R', messageId: randomUUID(), messageBody: body },
      });
    }
  }
  return { body: Buffer.from(JSON.stringify(items.slice(0, MESSAGES))), readings };
}

/**
 * The local cloud runs instance code outside `node_modules`, so Node's DEP0005 check stops after a thread's first
 * `Buffer()` call (D55); this script runs under tsx from `node_modules`, so it makes that first call itself.
 */
function settleBufferDeprecationCheck(): Promise<void> {
  return new Promise((resolve) =>
    setImmediate(() => {
      process.noDeprecation = true;
      (Buffer as unknown as (n: number) => Buffer)(0);
      process.noDeprecation = false;
      resolve();
    }),
  );
}

async function main() {
  await settleBufferDeprecationCheck();
  const dir = mkdtempSync(join(tmpdir(), 'etl-loop-'));
  const spec = loadSpec('s.yaml');
  const ots = await startLocalTableStore(spec, { dataDir: dir, port: 0 });
  Object.assign(process.env, ots.envFor({}), { LOG_LEVEL: 'warn' });
  const context = { requestId: 'r', credentials: LOCAL_CREDENTIALS } as never;
  const results: number[] = [];
  // The emulator's own thread (D85) is counted apart: the other half of the ETL's write path.
  const emulatorThread = ots.emulator.osThreadId;
  const emulatorResults: number[] = [];
  try {
    for (let round = 0; round < ROUNDS + 1; round++) {
      const { body, readings } = event(round, Date.now());
      const cpu = threadCpuMs();
      const emulatorCpu = emulatorThread ? threadCpuMs(emulatorThread) : 0;
      const started = Date.now();
      await handler(body, context);
      const ms = threadCpuMs() - cpu;
      const emulatorMs = emulatorThread ? threadCpuMs(emulatorThread) - emulatorCpu : 0;
      if (round > 0) results.push((ms / readings) * 1000);
      if (round > 0) emulatorResults.push((emulatorMs / readings) * 1000);
      console.log(JSON.stringify({ round, readings, cpuMsPer1000: Number(((ms / readings) * 1000).toFixed(2)), emulatorCpuMsPer1000: Number(((emulatorMs / readings) * 1000).toFixed(2)), wallMs: Date.now() - started }));
    }
  } finally {
    await ots.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const median = (list: number[]) => Number([...list].sort((a, b) => a - b)[list.length >> 1]!.toFixed(2));
  console.log(JSON.stringify({ medianCpuMsPer1000: median(results), medianEmulatorCpuMsPer1000: median(emulatorResults), load: loadavg()[0] }));
}

void main();
