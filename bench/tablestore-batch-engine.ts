/**
 * The TableStore emulator's BatchWriteRow work per row, alone (D94): 200-row requests of `telemetry`-shaped PUT rows
 * with EXPECT_NOT_EXIST, as `iot-etl` writes them, handed to the emulator's operation directly (no HTTP, no
 * signature: `emulator.call`) on a SQLite file in WAL mode, as in the local cloud. Prints the CPU of this process
 * per 1 000 rows (median of rounds). `npx tsx bench/tablestore-batch-engine.ts` (`BENCH_ROUNDS`, default 9).
 */
import { loadavg } from 'node:os';
import { protos } from '../scripts/local/emulators/tablestore';
import { writeRows } from '../scripts/local/emulators/tablestore/plain-buffer';
import { startTestTableStore } from '../test/helpers/tablestore';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const BATCHES_PER_ROUND = 40;
const EXPECT_NOT_EXIST = { rowExistence: 2 };

async function main(): Promise<void> {
  const ots = await startTestTableStore({ tables: [{ name: 'telemetry', primaryKey: [{ name: 'deviceId', type: 'STRING' }, { name: 'metric', type: 'STRING' }, { name: 'ts', type: 'INTEGER' }], ttlSeconds: 2_592_000 }] });
  try {
    const { emulator, instance } = ots;
    const base = Date.now() - 60_000;
    let n = 0;
    const request = () => {
      const rows = Array.from({ length: 200 }, () => {
        const i = n++;
        const row = writeRows([
          {
            primaryKey: [
              { name: 'deviceId', value: { type: 'STRING', value: `dev_${String(Math.floor(i / 500)).padStart(26, '0')}` } },
              { name: 'metric', value: { type: 'STRING', value: ['temperature', 'humidity', 'co2'][i % 3]! } },
              { name: 'ts', value: { type: 'INTEGER', value: BigInt(base + Math.floor((i % 500) / 3) * 100) } },
            ],
            cells: [
              { name: 'value', value: { type: 'DOUBLE', value: 20.5 + (i % 7) } },
              { name: 'receivedAt', value: { type: 'INTEGER', value: BigInt(base) } },
              { name: 'seq', value: { type: 'INTEGER', value: BigInt(i % 500) } },
            ],
          },
        ]);
        return { type: 1, rowChange: row, condition: EXPECT_NOT_EXIST };
      });
      return protos.main.BatchWriteRowRequest!.encode({ tables: [{ tableName: 'telemetry', rows }] } as never).finish();
    };
    const results: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const bodies = Array.from({ length: BATCHES_PER_ROUND }, request);
      const cpu = process.cpuUsage();
      for (const body of bodies) emulator.call(instance, 'BatchWriteRow', body);
      const used = process.cpuUsage(cpu);
      const perThousand = ((used.user + used.system) / 1000 / (bodies.length * 200)) * 1000;
      if (round > 0) results.push(perThousand);
    }
    results.sort((a, b) => a - b);
    console.log(JSON.stringify({ rows: n, medianCpuMsPer1000Rows: Number(results[results.length >> 1]!.toFixed(2)), min: Number(results[0]!.toFixed(2)), load: loadavg()[0] }));
  } finally {
    await ots.close();
  }
}

void main();
