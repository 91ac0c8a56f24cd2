import { mkdirSync, writeFileSync } from 'node:fs';
import { request, type Agent } from 'node:http';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, constants, monitorEventLoopDelay } from 'node:perf_hooks';
import type { LocalCloud } from '../scripts/local/cloud';
import type { InvocationRecord } from '../scripts/local/runtime/runtime';

/**
 * Shared helpers for `bench/*.bench.ts`. Every benchmark compares against a baseline measured in the same
 * run (machines here are shared and noisy, so absolute numbers mean little) and writes its result to
 * `bench/results/<name>.json`. Benchmarks never fail a build: they report goals as met or missed.
 */
export interface Stats {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

/** Percentile statistics of durations in ms (nearest-rank). */
export function stats(samples: number[]): Stats {
  if (samples.length === 0) throw new Error('stats of no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    n: sorted.length,
    mean: round(sorted.reduce((s, x) => s + x, 0) / sorted.length),
    p50: round(rank(50)),
    p95: round(rank(95)),
    p99: round(rank(99)),
    min: round(sorted[0]!),
    max: round(sorted[sorted.length - 1]!),
  };
}

/** Time `fn` `iterations` times after `warmup` untimed calls; durations in ms. */
export async function sample(fn: () => Promise<unknown> | unknown, iterations: number, warmup = Math.min(20, iterations)): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

/**
 * Each path `perRound` times a round, the paths interleaved over `rounds` so drift on a shared machine hits all alike
 * (after 50 untimed calls each, and 5 more a round): each path's stats.
 */
export async function interleavedRounds<P extends string>(runs: Record<P, () => Promise<void>>, rounds: number, perRound: number): Promise<Record<P, Stats>> {
  const paths = Object.keys(runs) as P[];
  for (const path of paths) await sample(runs[path], 0, 50);
  const samples = Object.fromEntries(paths.map((path) => [path, [] as number[]])) as Record<P, number[]>;
  for (let round = 0; round < rounds; round++) {
    for (const path of paths) samples[path].push(...(await sample(runs[path], perRound, 5)));
  }
  return Object.fromEntries(paths.map((path) => [path, stats(samples[path])])) as Record<P, Stats>;
}

/**
 * `POST /invoke` with `body` straight to a process instance's server (a custom runtime's, or a Python function's
 * bootstrap) on `port`, as the local cloud sends it: node:http over the kept-alive `agent`. The answer's text.
 */
export function postInvokeDirect(agent: Agent, port: number, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(body.length), 'x-fc-request-id': 'bench', 'x-fc-control-path': '/invoke' };
    const req = request({ host: '127.0.0.1', port, agent, method: 'POST', path: '/invoke', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface Goal {
  name: string;
  /** What was measured, in words and numbers. */
  measured: string;
  met: boolean;
}

export interface BenchResult {
  name: string;
  description: string;
  /** Free-form measurements: stats, ratios, counts. */
  results: Record<string, unknown>;
  goals: Goal[];
}

/** Writes `bench/results/<name>.json` with the machine it ran on, and prints a short table. */
export function report(result: BenchResult): void {
  const dir = join(__dirname, 'results');
  mkdirSync(dir, { recursive: true });
  const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30) };
  const out = { ...result, machine, at: new Date().toISOString() };
  writeFileSync(join(dir, `${result.name}.json`), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\n## ${result.name} — ${result.description}`);
  for (const goal of result.goals) console.log(`  ${goal.met ? 'met   ' : 'MISSED'} ${goal.name}: ${goal.measured}`);
}

/** Every invocation that finished while `run` ran. */
export async function recording<T>(cloud: LocalCloud, run: () => Promise<T>): Promise<{ result: T; records: InvocationRecord[] }> {
  const records: InvocationRecord[] = [];
  const onInvocation = (r: InvocationRecord) => records.push(r);
  cloud.runtime.on('invocation', onInvocation);
  try {
    return { result: await run(), records };
  } finally {
    cloud.runtime.off('invocation', onInvocation);
  }
}

export interface MainThreadPauses {
  /** The main isolate's GCs while measuring: count, summed and longest pause (ms), and how many were full. */
  gc: { count: number; totalMs: number; maxMs: number; major: number; majorMaxMs: number };
  /** The main event loop's delay (ms): what a request arriving at the gateway waits behind, GC pauses included. */
  loopDelay: { p50: number; p99: number; max: number };
}

/**
 * Starts watching the main thread's GC pauses and event-loop delay; the returned function stops and reports
 * (D113: a single-threaded GC trades helper threads' CPU for longer pauses on the thread that runs the gateway
 * and the emulators, so the benchmarks that judge it need both).
 */
export function watchMainThreadPauses(): () => MainThreadPauses {
  const gc = { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMaxMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.count++;
      gc.totalMs += entry.duration;
      gc.maxMs = Math.max(gc.maxMs, entry.duration);
      if (((entry as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.major++;
        gc.majorMaxMs = Math.max(gc.majorMaxMs, entry.duration);
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return () => {
    observer.disconnect();
    delay.disable();
    const ms = (ns: number) => Math.round(ns / 1e4) / 100;
    const round = (x: number) => Math.round(x * 100) / 100;
    return {
      gc: { count: gc.count, totalMs: round(gc.totalMs), maxMs: round(gc.maxMs), major: gc.major, majorMaxMs: round(gc.majorMaxMs) },
      loopDelay: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), max: ms(delay.max) },
    };
  };
}

/** Milliseconds to three decimals (microsecond resolution) for the results files. */
export const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** What a product-page load client (autocannon in a process of its own) reports: load, mixed-load. */
export interface PageLoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  statuses: Record<string, number>;
  /** Pages answered with a part left out (`x-degraded`). */
  degraded: number;
  errors: number;
  timeouts: number;
}
