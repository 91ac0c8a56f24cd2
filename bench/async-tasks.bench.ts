/**
 * What FC async task mode costs an async invocation in the local cloud (D159): a task's row carries its id, times,
 * answer and events, written by the statements that queue, claim and end the event. Measured through the official
 * `@alicloud/fc20230330` InvokeFunction (Async) on test/fixtures/apps/fc-async-tasks: `fc-task-once` (task mode, a
 * caller's task id each time) against `fc-plain` (the same code and retry policy without task mode), in the same run:
 * - one at a time: submit → the async invoker's `settled` for that request (interleaved rounds), p50/p95 and ratio;
 * - a burst: `BURST` submissions at once, then every one settled — invocations/s and the process's CPU per
 *   invocation (every thread; SQLite runs on the main one), alternating plain and task bursts.
 * Information beside it: GetAsyncTask against GetFunction through the same SDK (the same signing and routing).
 */
import { Readable } from 'node:stream';
import * as $FC from '@alicloud/fc20230330';
import { InvokeFunctionHeaders, InvokeFunctionRequest } from '@alicloud/fc20230330';
import { RuntimeOptions } from '@darabonba/typescript';
import type { LocalCloud } from '../scripts/local/cloud';
import { localFcClient } from '../test/helpers/fc-sdk';
import { withFixtureCloud } from './fixture-cloud';
import { interleavedRounds, report, round3, type Goal } from './lib';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const PER_ROUND = 40;
const BURST = 200;
const BURSTS = 3;
/** A task's added latency, one at a time, and its burst rate, against the plain async invocation of the same run. */
const GOAL_LATENCY_RATIO = 1.25;
const GOAL_RATE_RATIO = 0.8;

type Path = 'plain' | 'task';
const FUNCTION_OF: Record<Path, string> = { plain: 'fc-plain', task: 'fc-task-once' };

async function main(): Promise<void> {
  await withFixtureCloud('fc-async-tasks', async (cloud) => {
    const fc = localFcClient(cloud.url);
    const settled = watchSettled(cloud);
    let n = 0;
    /** One async submission; resolves with its request id once the 202 is in. */
    const submit = async (path: Path): Promise<string> => {
      const taskId = path === 'task' ? `bench-${process.pid}-${n++}` : undefined;
      const response = await fc.invokeFunctionWithOptions(
        FUNCTION_OF[path],
        new InvokeFunctionRequest({ body: Readable.from([Buffer.from('{"answer":"bench"}')]) }),
        new InvokeFunctionHeaders({ xFcInvocationType: 'Async', ...(taskId ? { xFcAsyncTaskId: taskId } : {}) }),
        new RuntimeOptions({}),
      );
      if (response.statusCode !== 202) throw new Error(`${path}: ${response.statusCode}`);
      return response.headers!['x-fc-request-id']!;
    };
    const oneAtATime = (path: Path) => async () => {
      const status = await settled.of(await submit(path));
      if (status !== 'succeeded') throw new Error(`${path} ended ${status}`);
    };
    const latency = await interleavedRounds<Path>({ plain: oneAtATime('plain'), task: oneAtATime('task') }, ROUNDS, PER_ROUND);

    const bursts: Record<Path, Array<{ perSecond: number; cpuMsPerInvocation: number }>> = { plain: [], task: [] };
    for (let i = 0; i < BURSTS; i++) {
      for (const path of ['plain', 'task'] as Path[]) {
        const cpu = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        const ids = await Promise.all(Array.from({ length: BURST }, () => submit(path)));
        const statuses = await Promise.all(ids.map((id) => settled.of(id)));
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
        const used = process.cpuUsage(cpu);
        if (statuses.some((s) => s !== 'succeeded')) throw new Error(`${path} burst: ${statuses.filter((s) => s !== 'succeeded').length} not succeeded`);
        bursts[path].push({ perSecond: Math.round(BURST / seconds), cpuMsPerInvocation: round3((used.user + used.system) / 1000 / BURST) });
      }
    }

    // GetAsyncTask beside GetFunction (information): the read a poller pays.
    const someTask = `bench-${process.pid}-0`;
    const reads = await interleavedRounds(
      {
        getFunction: async () => void (await fc.getFunction('fc-task-once', new $FC.GetFunctionRequest({}))),
        getAsyncTask: async () => void (await fc.getAsyncTask('fc-task-once', someTask, new $FC.GetAsyncTaskRequest({}))),
      },
      ROUNDS,
      PER_ROUND,
    );

    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const rate = { plain: median(bursts.plain.map((b) => b.perSecond)), task: median(bursts.task.map((b) => b.perSecond)) };
    const cpu = { plain: median(bursts.plain.map((b) => b.cpuMsPerInvocation)), task: median(bursts.task.map((b) => b.cpuMsPerInvocation)) };
    const latencyRatio = round3(latency.task.p50 / latency.plain.p50);
    const rateRatio = round3(rate.task / rate.plain);
    const goals: Goal[] = [
      {
        name: `a task's submit → settled p50 ≤ ${GOAL_LATENCY_RATIO}× a plain async invocation's`,
        measured: `task ${latency.task.p50} ms vs plain ${latency.plain.p50} ms p50 (${latencyRatio}×; +${round3(latency.task.p50 - latency.plain.p50)} ms), p95 ${latency.task.p95} vs ${latency.plain.p95} ms`,
        met: latencyRatio <= GOAL_LATENCY_RATIO,
      },
      {
        name: `burst of ${BURST}: tasks/s ≥ ${GOAL_RATE_RATIO}× plain async invocations/s`,
        measured: `task ${rate.task}/s vs plain ${rate.plain}/s (${rateRatio}×); CPU ${cpu.task} vs ${cpu.plain} ms per invocation (medians of ${BURSTS})`,
        met: rateRatio >= GOAL_RATE_RATIO,
      },
    ];
    report({
      name: 'async-tasks',
      description: 'FC async task mode (D159) against plain async invocations, same run',
      results: {
        oneAtATimeMs: latency,
        latencyRatioP50: latencyRatio,
        addedMsP50: round3(latency.task.p50 - latency.plain.p50),
        bursts,
        burstMedians: { perSecond: rate, cpuMsPerInvocation: cpu, rateRatio, cpuRatio: round3(cpu.task / cpu.plain) },
        readsMs: { getFunction: reads.getFunction, getAsyncTask: reads.getAsyncTask },
        tasksSubmitted: n,
      },
      goals,
    });
  });
}

/** The async invoker's `settled` events by request id, kept from the start: an event may settle before its 202 is read. */
function watchSettled(cloud: LocalCloud): { of(requestId: string): Promise<string> } {
  const done = new Map<string, string>();
  const waiting = new Map<string, (status: string) => void>();
  cloud.asyncInvoker.on('settled', ({ requestId, status }: { requestId: string; status: string }) => {
    const resolve = waiting.get(requestId);
    if (!resolve) return void done.set(requestId, status);
    waiting.delete(requestId);
    resolve(status);
  });
  return {
    of: (requestId) => {
      const status = done.get(requestId);
      if (status !== undefined) {
        done.delete(requestId);
        return Promise.resolve(status);
      }
      return new Promise((resolve) => waiting.set(requestId, resolve));
    },
  };
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
