/**
 * SQLite alone, as the TableStore emulator uses it for `telemetry` (D153): a WITHOUT ROWID `ots_rows` table in WAL
 * with `synchronous = NORMAL`, 200-row transactions of 200 series appended in time order, each row read first (the
 * EXPECT_NOT_EXIST check) and then inserted. Compares checkpoint intervals (`wal_autocheckpoint`) by the CPU and the
 * wall time per 1 000 rows: a checkpoint runs inside the commit that crosses the mark and syncs the database file,
 * so the thread waits there. `npx tsx bench/sqlite-wal-checkpoint.ts` (`BENCH_ROWS`, default 400 000; two rounds).
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROWS = Number(process.env.BENCH_ROWS ?? 400_000);
const SERIES = Array.from({ length: 50 }, (_, d) => ['temperature', 'humidity', 'power', 'voltage'].map((m) => [`bench-dev-${String(d).padStart(4, '0')}`, m] as const)).flat();
const SIGN = 1n << 63n;

function key(device: string, metric: string, ts: number): Buffer {
  const out = Buffer.concat([Buffer.from([2]), Buffer.from(device), Buffer.from([0, 1, 2]), Buffer.from(metric), Buffer.from([0, 1, 1]), Buffer.alloc(8)]);
  out.writeBigUInt64BE(BigInt(ts) ^ SIGN, out.length - 8);
  return out;
}

function run(pragmas: string[]): { cpuMsPer1000: number; wallMsPer1000: number } {
  const dir = mkdtempSync(join(tmpdir(), 'wal-ckpt-'));
  const db = new Database(join(dir, 't.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    for (const pragma of pragmas) db.pragma(pragma);
    db.exec('CREATE TABLE ots_rows (tid INTEGER NOT NULL, pk BLOB NOT NULL, columns TEXT NOT NULL, written INTEGER NOT NULL, PRIMARY KEY (tid, pk)) WITHOUT ROWID');
    const insert = db.prepare('INSERT OR REPLACE INTO ots_rows (tid, pk, columns, written) VALUES (?, ?, ?, ?)');
    const read = db.prepare('SELECT pk, columns, written FROM ots_rows WHERE tid = ? AND pk = ?');
    const begin = db.prepare('BEGIN IMMEDIATE');
    const commit = db.prepare('COMMIT');
    const t0 = 1_764_300_000_000;
    const cpu = process.cpuUsage();
    const started = performance.now();
    // A message carries ~60 points of one series; 200-row batches cover a few series each, as the ETL's do.
    for (let n = 0; n < ROWS; ) {
      begin.run();
      for (let i = 0; i < 200; i++, n++) {
        const [device, metric] = SERIES[Math.floor(n / 60) % SERIES.length]!;
        const ts = t0 + Math.floor(n / (60 * SERIES.length)) * 60_000 + (n % 60) * 1000;
        const pk = key(device, metric, ts);
        read.get(1, pk);
        insert.run(1, pk, `{"receivedAt":[[${ts},"i","${ts}"]],"value":[[${ts},"d",${Math.random()}]]}`, ts);
      }
      commit.run();
    }
    const used = process.cpuUsage(cpu);
    return { cpuMsPer1000: Number(((used.user + used.system) / 1000 / (ROWS / 1000)).toFixed(2)), wallMsPer1000: Number(((performance.now() - started) / (ROWS / 1000)).toFixed(2)) };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const variants: Record<string, string[]> = {
  'default (1 000 pages)': [],
  '10 000 pages': ['wal_autocheckpoint = 10000', 'journal_size_limit = 40960000'],
};
for (let round = 0; round < 2; round++) {
  for (const [name, pragmas] of Object.entries(variants)) console.log(JSON.stringify({ round, variant: name, ...run(pragmas) }));
}
