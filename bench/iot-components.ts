/**
 * The per-reading pieces D67 changed, each against the way it was done before, in one process with rounds
 * alternating (`npx tsx bench/iot-components.ts`; `BENCH_ROUNDS`, default 6). CPU time per 1 000 readings
 * (or rows) of:
 * - a telemetry row's PlainBuffer: the `tablestore` SDK's `serializeForPutRow` vs the one-pass encoder in front
 *   of it (`tablestore-plain-buffer.ts`; same bytes);
 * - an ingest body of 500 readings: `IngestBody.safeParse` (zod) vs the plain check that answers for a valid body;
 * - a queue message of 500 points: `ReadingsMessage.safeParse` vs `parseReadingsMessage`;
 * - a telemetry key: the general key encoder (`encodeBound` of a complete key, what `encodePk` ran before) vs
 *   `encodePk` writing one buffer.
 * Results in `bench/results/iot-components.json`; the end-to-end effect is the `iot` bench's.
 */
import { loadavg } from 'node:os';
import TableStore from 'tablestore';
import { IngestBody, ReadingsMessage } from '../functions/_shared/contracts/iot';
import { isPlainIngestBody, parseReadingsMessage } from '../functions/_shared/contracts/iot-fast';
import { encodeBound, encodePk } from '../functions/_shared/adapters/pk-codec';
import { serializePutRow } from '../functions/_shared/aliyun/tablestore-plain-buffer';
import { toMessages } from '../functions/iot-ingest/core';
import type { PkColumn } from '../functions/_shared/ports/table';
import { report, stats } from './lib';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const now = Date.now();
const deviceId = `dev_${'k3'.repeat(13)}`;
const readings = Array.from({ length: 500 }, (_, i) => ({ ts: now - i * 10, metric: ['temperature', 'humidity', 'co2'][i % 3]!, value: 20 + i / 7, seq: i }));
const body = JSON.parse(JSON.stringify({ readings })) as unknown;
const message = JSON.parse(toMessages({ deviceId, type: 'env-sensor' }, readings, 'bench', now)[0]!) as unknown;
const sdkPutRow = (TableStore as unknown as { PlainBufferBuilder: { serializeForPutRow(pk: unknown, attrs: unknown): Buffer } }).PlainBufferBuilder;
const rows = Array.from({ length: 5000 }, (_, i) => ({
  pk: [{ deviceId }, { metric: readings[i % 500]!.metric }, { ts: TableStore.Long.fromNumber(now - i) }],
  attrs: [{ value: 20 + i / 7 }, { receivedAt: TableStore.Long.fromNumber(now) }, { seq: TableStore.Long.fromNumber(i) }],
}));
const schema: PkColumn[] = [
  { name: 'deviceId', type: 'STRING' },
  { name: 'metric', type: 'STRING' },
  { name: 'ts', type: 'INTEGER' },
];
const keys = rows.map((_, i) => ({ deviceId, metric: readings[i % 500]!.metric, ts: now - i }));

interface Piece {
  name: string;
  unit: string;
  /** Items (readings or rows) per call of `before`/`after`. */
  items: number;
  calls: number;
  before: () => unknown;
  after: () => unknown;
}

const pieces: Piece[] = [
  { name: 'telemetry row PlainBuffer (SDK → one pass)', unit: 'rows', items: rows.length, calls: 4, before: () => rows.forEach((r) => sdkPutRow.serializeForPutRow(r.pk, r.attrs)), after: () => rows.forEach((r) => serializePutRow(r.pk, r.attrs)) },
  { name: 'ingest body check (zod → plain check)', unit: 'readings', items: 500, calls: 200, before: () => IngestBody.safeParse(body), after: () => isPlainIngestBody(body) || IngestBody.safeParse(body) },
  { name: 'queue message check (zod → plain check)', unit: 'readings', items: 500, calls: 200, before: () => ReadingsMessage.safeParse(message), after: () => parseReadingsMessage(message) },
  { name: 'telemetry key (general encoder → one buffer)', unit: 'rows', items: keys.length, calls: 4, before: () => keys.forEach((k) => encodeBound(schema, k, 'telemetry')), after: () => keys.forEach((k) => encodePk(schema, k, 'telemetry')) },
];

function cpuMsPer1000(piece: Piece, fn: () => unknown): number {
  const start = process.cpuUsage();
  for (let i = 0; i < piece.calls; i++) fn();
  const used = process.cpuUsage(start);
  return ((used.user + used.system) / 1000 / (piece.calls * piece.items)) * 1000;
}

const results: Record<string, unknown> = {};
for (const piece of pieces) {
  // Warm both paths up (JIT) before the rounds.
  cpuMsPer1000(piece, piece.before);
  cpuMsPer1000(piece, piece.after);
  const before: number[] = [];
  const after: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    if (round % 2 === 0) {
      before.push(cpuMsPer1000(piece, piece.before));
      after.push(cpuMsPer1000(piece, piece.after));
    } else {
      after.push(cpuMsPer1000(piece, piece.after));
      before.push(cpuMsPer1000(piece, piece.before));
    }
  }
  const b = stats(before).p50;
  const a = stats(after).p50;
  results[piece.name] = { unit: `CPU ms per 1 000 ${piece.unit}`, before: stats(before), after: stats(after), ratio: Number((a / b).toFixed(3)) };
  console.log(`${piece.name}: ${b.toFixed(3)} → ${a.toFixed(3)} ms per 1 000 ${piece.unit} (${(a / b).toFixed(2)}×)`);
}
report({
  name: 'iot-components',
  description: 'IoT per-reading pieces before/after D67, alternating rounds in one process (CPU ms per 1 000)',
  results: { ...results, loadAverage: loadavg() },
  goals: [],
});
