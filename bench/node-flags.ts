/**
 * One benchmark under several sets of node/V8 flags, alternated in rounds (D113). V8's GC flags are
 * process-wide and must be on node's command line (`v8.setFlagsFromString('--single-threaded-gc')` after start
 * aborts V8; a worker thread refuses them in `execArgv`), and every benchmark runs its local cloud in its own
 * process, so each sample is `node <flags> --import tsx bench/<file>` — the same process shape `npm start` gives.
 *
 *   BENCH_FLAG_VARIANTS='parallel=;single=--single-threaded-gc' BENCH_FLAG_ROUNDS=3 \
 *     flock /work/coord/machine.lock npx tsx bench/node-flags.ts load.bench.ts
 *
 * Each round runs every variant once, the order rotated per round (so neither variant always follows the
 * other); the benchmark's own `results/<name>.json` is collected after each run with the load average around
 * it, then restored, and everything goes to `results/node-flags-<name>.json` (`BENCH_FLAG_OUT` renames it).
 * The benchmark's environment passes through (`BENCH_ROUNDS`, `BENCH_ENGINES`, …); `BENCH_FLAG_HOGS` below.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';

const file = process.argv[2];
if (!file) {
  console.error('usage: npx tsx bench/node-flags.ts <bench file> (BENCH_FLAG_VARIANTS, BENCH_FLAG_ROUNDS)');
  process.exit(1);
}
const variants = (process.env.BENCH_FLAG_VARIANTS ?? 'parallel=;single=--single-threaded-gc').split(';').map((spec) => {
  const [name, flags = ''] = spec.split('=', 2) as [string, string?];
  return { name, flags: flags.split(' ').filter(Boolean) };
});
const rounds = Number(process.env.BENCH_FLAG_ROUNDS ?? 3);
const resultName = file.replace(/\.(bench\.)?ts$/, '');
const resultFile = join(__dirname, 'results', `${resultName}.json`);
const outFile = join(__dirname, 'results', process.env.BENCH_FLAG_OUT ?? `node-flags-${resultName}.json`);
/**
 * `BENCH_FLAG_HOGS=<n>`: n busy loops in processes of their own beside each run — a machine busy with other work,
 * where a GC pause on a preempted thread lasts longest (the case the BFF's part budgets must survive).
 */
const hogCount = Number(process.env.BENCH_FLAG_HOGS ?? 0);
const startHogs = (): ChildProcess[] => Array.from({ length: hogCount }, () => spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' }));
const before = existsSync(resultFile) ? readFileSync(resultFile) : undefined;

const runs: { round: number; variant: string; flags: string[]; loadBefore: number; loadAfter: number; seconds: number; ok: boolean; result: unknown; output: string }[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const variant = variants[(k + round) % variants.length]!;
      const loadBefore = loadavg()[0]!;
      const started = Date.now();
      console.log(`# round ${round} ${variant.name} (${variant.flags.join(' ') || 'no flags'}), load ${loadBefore.toFixed(2)}`);
      const hogs = startHogs();
      const run = spawnSync(process.execPath, [...variant.flags, '--import', 'tsx', join(__dirname, file)], { env: { ...process.env, LOG_LEVEL: 'silent' }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      for (const hog of hogs) hog.kill('SIGKILL');
      const output = `${run.stdout}${run.stderr}`;
      // A benchmark that writes no result file in a mode (e.g. iot's BENCH_IOT_ONLY_INGEST) prints a JSON line last.
      const wroteResult = existsSync(resultFile) && statSync(resultFile).mtimeMs >= started;
      const lastJsonLine = run.stdout.trim().split('\n').reverse().find((line) => line.startsWith('{'));
      const result = run.status !== 0 ? undefined : wroteResult ? (JSON.parse(readFileSync(resultFile, 'utf8')) as unknown) : lastJsonLine ? (JSON.parse(lastJsonLine) as unknown) : undefined;
      const goals = (result as { goals?: { measured: string }[] } | undefined)?.goals?.map((g) => g.measured).join(' | ') ?? (result && !wroteResult ? lastJsonLine : undefined);
      console.log(`  ${run.status === 0 ? 'ok' : `FAILED (${run.status ?? run.signal})`} in ${((Date.now() - started) / 1000).toFixed(0)} s, load ${loadavg()[0]!.toFixed(2)}: ${goals ?? output.slice(-1500)}`);
      runs.push({ round, variant: variant.name, flags: variant.flags, loadBefore, loadAfter: loadavg()[0]!, seconds: (Date.now() - started) / 1000, ok: run.status === 0, result, output: run.status === 0 ? '' : output.slice(-4000) });
      writeFileSync(outFile, `${JSON.stringify({ name: `node-flags-${resultName}`, file, at: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model }, hogs: hogCount, variants, runs }, null, 2)}\n`);
    }
  }
} finally {
  if (before) writeFileSync(resultFile, before);
}
