/**
 * `npm run chaos [-- --rounds N --seed S --only <app|point>]` (D146): crashes the local cloud in the middle of each
 * app's flow and checks that nothing acknowledged was lost, nothing happened twice and nothing is stuck.
 *
 * It starts `npm start` (CHAOS_PORT, default 9400, and a data folder of its own) in a process group of its own. Each
 * round takes a kill point (chaos-apps.ts: three per app — images, IoT, orders — in an order shuffled by the seed),
 * drives that app's flow through the public API, SIGKILLs the whole process group at the point's moment (plus a
 * random few milliseconds), runs `npm start` again on the same data folder, and checks the end state: uploads ready,
 * thumbnailed and found exactly once; accepted readings stored once with rollups matching the raw counts and one
 * alert per episode; orders in one terminal state with one charge, stock taken once or returned and each customer
 * event delivered or dead-lettered once. After every round the cloud must settle: no execution running, no async
 * event pending, no message left in a queue that has a consumer.
 *
 * Prints one line per round and a summary; writes `bench/results/chaos.json`. Exit code 1 when a round found a
 * violation. Not part of `npm run bench`: it measures correctness, not speed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { photoLikeJpeg } from '../test/helpers/image-fixtures';
import { ALL_POINTS, type ChaosContext, type KillPoint } from './chaos-apps';
import { NpmStartCloud } from './chaos-cloud';
import { report } from './lib';

interface Options {
  rounds: number;
  seed: number;
  only?: string;
  port: number;
  keep: boolean;
}

const USAGE = `usage: npm run chaos -- [--rounds N] [--seed S] [--only images|iot|orders|crash-points|<point>] [--keep]
  --rounds  rounds to run (default: one per kill point, ${ALL_POINTS.length})
  --seed    seed of the kill order and the jitter (default: the time)
  --only    one app, the rounds at crash points, or one kill point: ${ALL_POINTS.map((p) => p.name).join(', ')}
  --keep    keep the data folder afterwards (its path is printed)
  CHAOS_PORT=9400 (uses PORT..PORT+4)`;

function parseArgs(argv: string[]): Options {
  const options: Options = { rounds: 0, seed: Date.now() % 1_000_000, port: Number(process.env.CHAOS_PORT ?? 9400), keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--rounds') options.rounds = Number(value());
    else if (arg === '--seed') options.seed = Number(value());
    else if (arg === '--only') options.only = value();
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  if (!Number.isInteger(options.rounds) || options.rounds < 0) throw new Error(`--rounds must be a whole number\n${USAGE}`);
  if (!Number.isInteger(options.seed)) throw new Error(`--seed must be a whole number\n${USAGE}`);
  return options;
}

/** mulberry32: a small seeded generator, so a failing run can be repeated with its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The kill points of the run: every chosen point once per pass, each pass in a seeded order. */
function schedule(points: KillPoint[], rounds: number, random: () => number): KillPoint[] {
  const out: KillPoint[] = [];
  while (out.length < rounds) {
    const pass = [...points];
    for (let i = pass.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [pass[i], pass[j]] = [pass[j]!, pass[i]!];
    }
    out.push(...pass);
  }
  return out.slice(0, rounds);
}

interface Settled {
  runningExecutions: number;
  pendingAsync: number;
  queued: Record<string, number>;
}

/** What is still going on: running executions, async events not done, messages in queues something consumes. */
async function settledState(url: string): Promise<Settled> {
  const get = async <T>(path: string) => (await (await fetch(`${url}${path}`)).json()) as T;
  const running = await get<unknown[]>('/_local/api/executions?status=Running&limit=500');
  const pending = (await get<{ status: string }[]>('/_local/api/async?limit=1000')).filter((e) => e.status === 'queued' || e.status === 'running').length;
  const queues = await get<{ name: string; activeMessages: number; inactiveMessages: number; delayMessages: number }[]>('/_local/api/queues');
  // Only queues a trigger consumes: a dead-letter queue's messages are its end state, and a feed nobody in the
  // local cloud reads (iot-alert-feed, for the user's own subscriber) keeps what it was sent.
  const consumed = new Set((await get<{ queue: string }[]>('/_local/api/mns/triggers')).map((t) => t.queue));
  const queued: Record<string, number> = {};
  for (const q of queues) {
    const n = q.activeMessages + q.inactiveMessages + q.delayMessages;
    if (consumed.has(q.name) && n > 0) queued[q.name] = n;
  }
  return { runningExecutions: running.length, pendingAsync: pending, queued };
}

/** Messages in each dead-letter queue now (a round compares before and after). */
async function deadLetterCounts(url: string): Promise<Record<string, number>> {
  const queues = (await (await fetch(`${url}/_local/api/queues`)).json()) as { name: string; activeMessages: number; inactiveMessages: number; delayMessages: number }[];
  return Object.fromEntries(queues.filter((q) => /dlq$/.test(q.name)).map((q) => [q.name, q.activeMessages + q.inactiveMessages + q.delayMessages]));
}

async function waitSettled(url: string, ms: number): Promise<Settled> {
  const until = Date.now() + ms;
  for (;;) {
    const state = await settledState(url);
    const quiet = state.runningExecutions === 0 && state.pendingAsync === 0 && Object.keys(state.queued).length === 0;
    if (quiet || Date.now() > until) return state;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

interface RoundResult {
  round: number;
  app: string;
  point: string;
  ms: number;
  restartMs: number[];
  notes: string[];
  violations: string[];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const points = options.only ? ALL_POINTS.filter((p) => p.app === options.only || p.name === options.only || (options.only === 'crash-points' && p.crashAt)) : ALL_POINTS;
  if (points.length === 0) throw new Error(`no kill point or app named ${options.only}\n${USAGE}`);
  const rounds = options.rounds || points.length;
  const random = seeded(options.seed);
  const plan = schedule(points, rounds, random);
  const dataRoot = mkdtempSync(join(tmpdir(), 'chaos-'));
  // The sandbox holds its webhook 2.5 s, so "waiting for the payment callback" is a moment a kill can find.
  // iot-readings' visibility timeout at 10 s instead of 60: messages a killed ETL held come back within the round.
  const cloud = new NpmStartCloud(options.port, join(dataRoot, 'data'), { PAYMENT_CALLBACK_DELAY_MS: '2500', IOT_QUEUE_VISIBILITY_SECONDS: '10' });
  console.log(`chaos: seed ${options.seed}, ${rounds} rounds, npm start on ${cloud.url}, data in ${cloud.dataDir}`);
  const photo = await photoLikeJpeg(800, 600);
  const results: RoundResult[] = [];
  const started = Date.now();
  // Ctrl-C: the cloud is in a process group of its own and would outlive the harness.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cloud.stop().finally(() => process.exit(130)));
  try {
    console.log(`first start: ${await cloud.start()} ms`);
    for (const [index, point] of plan.entries()) {
      const notes: string[] = [];
      const restartsBefore = cloud.restarts.length;
      const ctx: ChaosContext = {
        url: () => cloud.url,
        random,
        crash: async () => {
          if (!point.crashAt) return void (await cloud.crash());
          if (!(await cloud.crashedItself(60_000))) notes.push(`crash point ${point.crashAt} not reached in 60 s: killed from outside`);
          else notes.push(`died at ${point.crashAt}`);
        },
        tag: `${options.seed.toString(36)}r${index}${Date.now().toString(36)}`,
        photo,
        note: (line) => notes.push(line),
      };
      const roundStart = Date.now();
      if (point.crashAt) {
        // Started again with the crash point armed; the round's crash() waits for the cloud to die there.
        await cloud.stop();
        await cloud.start({ LOCAL_CRASH_AT: point.crashAt });
      }
      const deadBefore = await deadLetterCounts(cloud.url);
      let violations: string[];
      try {
        violations = await point.run(ctx);
      } catch (err) {
        violations = [`the round failed: ${(err as Error).stack ?? String(err)}`];
      }
      const settled = await waitSettled(cloud.url, 60_000).catch((err: unknown) => ({ error: String(err) }));
      if ('error' in settled) violations.push(`could not read the console: ${settled.error}`);
      else {
        if (settled.runningExecutions) violations.push(`${settled.runningExecutions} executions still Running`);
        if (settled.pendingAsync) violations.push(`${settled.pendingAsync} async events still pending`);
        for (const [queue, n] of Object.entries(settled.queued)) violations.push(`${n} messages left in ${queue}`);
      }
      // Nothing a crash did may end in a dead-letter queue, except where the round made a consumer fail on purpose.
      for (const [queue, n] of Object.entries(await deadLetterCounts(cloud.url).catch(() => ({})))) {
        const added = n - (deadBefore[queue] ?? 0);
        if (added > 0 && !point.deadLetters?.includes(queue)) violations.push(`${added} new messages in dead-letter queue ${queue}`);
      }
      const result: RoundResult = { round: index + 1, app: point.app, point: point.name, ms: Date.now() - roundStart, restartMs: cloud.restarts.slice(restartsBefore), notes, violations };
      results.push(result);
      console.log(`round ${result.round} ${point.app}/${point.name}: ${violations.length ? `${violations.length} VIOLATION(S)` : 'ok'} in ${(result.ms / 1000).toFixed(1)} s (${notes.join('; ')})`);
      for (const v of violations) console.log(`    ${v}`);
      if (violations.length && !options.keep) console.log(`    (the cloud's last output)\n${cloud.output().split('\n').slice(-15).join('\n')}`);
    }
  } finally {
    await cloud.stop();
    if (options.keep) console.log(`data folder kept: ${cloud.dataDir}`);
    else rmSync(dataRoot, { recursive: true, force: true });
  }
  const failed = results.filter((r) => r.violations.length > 0);
  const restarts = cloud.restarts.slice(1).sort((a, b) => a - b);
  report({
    name: options.only ? `chaos-${options.only}` : 'chaos',
    description: 'SIGKILL of the whole npm start process group mid-flow in every app, restart on the same data folder, end state checked',
    results: {
      seed: options.seed,
      rounds: results,
      kills: cloud.kills,
      restartMsMedian: restarts[Math.floor(restarts.length / 2)] ?? null,
      seconds: Math.round((Date.now() - started) / 1000),
      loadAverage: loadavg()[0],
    },
    goals: [
      { name: 'every round ends with nothing lost, doubled or stuck', measured: `${results.length - failed.length} of ${results.length} rounds clean (${cloud.kills} kills; seed ${options.seed})`, met: failed.length === 0 },
      ...points.map((p) => {
        const mine = results.filter((r) => r.point === p.name);
        return { name: `${p.app}: ${p.name} — ${p.moment}`, measured: `${mine.length} rounds, ${mine.filter((r) => r.violations.length).length} with violations`, met: mine.every((r) => r.violations.length === 0) };
      }),
    ],
  });
  process.exit(failed.length ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
