import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as $FC from '@alicloud/fc20230330';
import { InvokeFunctionHeaders, InvokeFunctionRequest } from '@alicloud/fc20230330';
import { RuntimeOptions } from '@darabonba/typescript';
import { LOCAL_ACCOUNT_ID } from '../../scripts/local/credentials';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { openControlDb } from '../../scripts/local/control-db';
import { AsyncInvoker } from '../../scripts/local/runtime/async-invoker';
import type { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import { eventually } from '../helpers/eventually';
import { localFcClient } from '../helpers/fc-sdk';
import { copyFixtureApp } from '../helpers/fixture-app';
import { tempDir } from '../helpers/temp';

/**
 * FC 3.0's async tasks (D159) through the local cloud with the official `@alicloud/fc20230330` SDK: a function with
 * `asyncInvokeConfig.asyncTask: true` (test/fixtures/apps/fc-async-tasks) has each async invocation tracked as a task
 * (GetAsyncTask, ListAsyncTasks, StopAsyncTask) — InvokeFunction's and an HTTP trigger's —, a caller's task id is taken once, and the tasks are in the local
 * cloud's database, so a task queued before a restart runs after it.
 */
type Task = $FC.AsyncTask;

/** The async invoker's first retry waits this long: a failed fc-task stays `Retrying` for the whole test. */
const RETRY_WAIT_MS = 10 * 60_000;

describe('FC async tasks', () => {
  const dir = tempDir('fx-fc-tasks-');
  const appDir = join(dir.path, 'app');
  let cloud: LocalCloud;
  const run = `t${Date.now().toString(36)}`;
  const sdk = () => localFcClient(cloud.url);

  beforeAll(async () => {
    copyFixtureApp('fc-async-tasks', appDir);
    cloud = await startLocalCloud({ root: appDir, port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, asyncRetryBaseMs: RETRY_WAIT_MS });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  /** InvokeFunction, Async, with `taskId` as x-fc-async-task-id when given: the answer's status and headers. */
  const submit = async (fn: string, event: unknown, taskId?: string) => {
    const response = await sdk().invokeFunctionWithOptions(
      fn,
      new InvokeFunctionRequest({ body: Readable.from([Buffer.from(JSON.stringify(event))]) }),
      new InvokeFunctionHeaders({ xFcInvocationType: 'Async', ...(taskId ? { xFcAsyncTaskId: taskId } : {}) }),
      new RuntimeOptions({}),
    );
    return { status: response.statusCode, headers: response.headers ?? {} };
  };
  const getTask = async (fn: string, taskId: string): Promise<Task> => (await sdk().getAsyncTask(fn, taskId, new $FC.GetAsyncTaskRequest({}))).body!;
  const taskIn = (fn: string, taskId: string, status: string) =>
    eventually(
      async () => {
        const task = await getTask(fn, taskId);
        expect(task.status).toBe(status);
        return task;
      },
      { timeoutMs: 30_000 },
    );
  const list = async (fn: string, request: Record<string, unknown>) => (await sdk().listAsyncTasks(fn, new $FC.ListAsyncTasksRequest(request))).body!;
  const runsOf = (marker: string) => cloud.runtime.recent({ functionName: 'fc-task', limit: 1000 }).filter((r) => r.payload.toString().includes(marker) || r.requestId === marker);

  it('tracks an async invocation with a caller’s task id until it succeeds, with its answer, times and events', async () => {
    const taskId = `${run}-ok`;
    const submitted = await submit('fc-task', { answer: taskId }, taskId);
    expect(submitted.status).toBe(202);
    expect(submitted.headers['x-fc-async-task-id']).toBe(taskId);

    const task = await taskIn('fc-task', taskId, 'Succeeded');
    expect(task).toMatchObject({
      taskId,
      requestId: submitted.headers['x-fc-request-id'],
      functionArn: `acs:fc:cn-hangzhou:${LOCAL_ACCOUNT_ID}:functions/fc-task`,
      qualifier: 'LATEST',
      returnPayload: JSON.stringify({ answer: taskId }),
      taskPayload: JSON.stringify({ answer: taskId }),
      alreadyRetriedTimes: 0,
    });
    expect(task.taskErrorMessage).toBeUndefined();
    expect(task.endTime!).toBeGreaterThanOrEqual(task.startedTime!);
    expect(task.durationMs).toBe(task.endTime! - task.startedTime!);
    expect(task.instanceId).toEqual(expect.any(String));
    expect(task.events!.map((e) => e.status)).toEqual(['Enqueued', 'Running', 'Succeeded']);
    expect(task.events!.map((e) => e.eventId)).toEqual([1, 2, 3]);
  });

  it('takes a task id once: a resubmission is refused with 409 and the task runs once', async () => {
    const taskId = `${run}-once`;
    expect((await submit('fc-task', { answer: 'first' }, taskId)).status).toBe(202);
    await expect(submit('fc-task', { answer: 'second' }, taskId)).rejects.toMatchObject({ statusCode: 409, code: 'AsyncTaskAlreadyExists', message: expect.stringContaining(taskId) });
    const task = await taskIn('fc-task', taskId, 'Succeeded');
    expect(task.returnPayload).toBe(JSON.stringify({ answer: 'first' }));
    // Refused while it ran or after: either way the second payload never ran.
    await expect(submit('fc-task', { answer: 'third' }, taskId)).rejects.toMatchObject({ statusCode: 409 });
    expect(runsOf(task.requestId!)).toHaveLength(1);
    expect(cloud.runtime.recent({ functionName: 'fc-task', limit: 1000 }).filter((r) => /"(second|third)"/.test(r.payload.toString()))).toEqual([]);
  });

  it('makes the request id the task id when the caller chose none, and refuses a task id FC would not take', async () => {
    const submitted = await submit('fc-task', { answer: `${run}-anonymous` });
    const requestId = submitted.headers['x-fc-request-id']!;
    expect(submitted.headers['x-fc-async-task-id']).toBe(requestId);
    expect((await taskIn('fc-task', requestId, 'Succeeded')).taskId).toBe(requestId);
    for (const bad of ['9starts-with-a-digit', 'has space', 'x'.repeat(129)]) {
      await expect(submit('fc-task', {}, bad)).rejects.toMatchObject({ statusCode: 400, code: 'InvalidArgument', message: expect.stringContaining('x-fc-async-task-id') });
    }
  });

  it('takes an async HTTP trigger request as a task too, under its X-Fc-Async-Task-Id, once', async () => {
    const taskId = `${run}-http`;
    const post = () => fetch(`${cloud.url}/_fc/fc-task/jobs`, { method: 'POST', body: `{"job":"${taskId}"}`, headers: { 'X-Fc-Invocation-Type': 'Async', 'X-Fc-Async-Task-Id': taskId } });
    const first = await post();
    expect(first.status).toBe(202);
    expect(first.headers.get('x-fc-async-task-id')).toBe(taskId);
    const again = await post();
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ Code: 'AsyncTaskAlreadyExists', Message: expect.stringContaining(taskId) });
    const task = await taskIn('fc-task', taskId, 'Succeeded');
    // The task's payload is FC's HTTP trigger event of the request.
    expect(JSON.parse(task.taskPayload!)).toMatchObject({ rawPath: '/jobs', body: `{"job":"${taskId}"}` });
    expect(task.requestId).toBe(first.headers.get('x-fc-request-id'));
  });

  it('reports a failed task with its error, and a task waiting for its retry as Retrying', async () => {
    const failed = `${run}-fail`;
    await submit('fc-task-once', { fail: 'no luck' }, failed);
    const task = await taskIn('fc-task-once', failed, 'Failed');
    expect(task).toMatchObject({ taskErrorMessage: 'no luck', alreadyRetriedTimes: 0 });
    expect(task.returnPayload).toBeUndefined();
    expect(task.events!.map((e) => e.status)).toEqual(['Enqueued', 'Running', 'Failed']);

    const retrying = `${run}-retry`;
    await submit('fc-task', { fail: 'try again' }, retrying);
    const waiting = await taskIn('fc-task', retrying, 'Retrying');
    expect(waiting).toMatchObject({ taskErrorMessage: 'try again' });
    expect(waiting.events!.map((e) => e.status)).toEqual(['Enqueued', 'Running', 'Retrying']);
    // A task waiting for its retry is stopped before it runs again.
    await sdk().stopAsyncTask('fc-task', retrying, new $FC.StopAsyncTaskRequest({}));
    expect((await getTask('fc-task', retrying)).status).toBe('Stopped');
  });

  it('stops a running task: its instance is ended and the task ends Stopped, without a retry', async () => {
    const taskId = `${run}-long`;
    await submit('fc-task', { sleepMs: 50_000, answer: 'never' }, taskId);
    await taskIn('fc-task', taskId, 'Running');
    const stopped = await sdk().stopAsyncTask('fc-task', taskId, new $FC.StopAsyncTaskRequest({}));
    expect(stopped.statusCode).toBe(200);
    const task = await taskIn('fc-task', taskId, 'Stopped');
    expect(task.events!.map((e) => e.status)).toEqual(['Enqueued', 'Running', 'Stopping', 'Stopped']);
    expect(task.returnPayload).toBeUndefined();
    // The invocation ended with the stop, not after its 50 seconds; fc-task would retry a failure, a stop it does not.
    const runs = runsOf(task.requestId!);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.error).toMatchObject({ errorType: 'AsyncTaskStopped' });
    expect(cloud.asyncInvoker.get(task.requestId!)).toMatchObject({ status: 'stopped', attempts: 1 });
    // An ended task cannot be stopped again.
    await expect(sdk().stopAsyncTask('fc-task', taskId, new $FC.StopAsyncTaskRequest({}))).rejects.toMatchObject({ statusCode: 400, code: 'InvalidArgument', message: expect.stringContaining('Stopped') });
  });

  it('lists a function’s tasks by id prefix, status and started time, in either order, a page at a time', async () => {
    const prefix = `${run}-list-`;
    const ids = [0, 1, 2, 3, 4].map((i) => `${prefix}${i}`);
    for (const id of ids) {
      await submit('fc-task', { answer: id }, id);
      // One after the other: their order by time is the order of the ids.
      await taskIn('fc-task', id, 'Succeeded');
    }
    await submit('fc-task-once', { fail: 'listed as failed' }, `${prefix}failed`);
    await taskIn('fc-task-once', `${prefix}failed`, 'Failed');

    const all = await list('fc-task', { prefix, sortOrderByTime: 'asc' });
    expect(all.tasks!.map((t) => t.taskId)).toEqual(ids);
    expect(all.nextToken).toBeUndefined();
    expect(all.tasks![0]!.taskPayload).toBeUndefined();
    expect((await list('fc-task', { prefix, includePayload: true })).tasks![0]!.taskPayload).toBe(JSON.stringify({ answer: ids[4] }));
    expect((await list('fc-task', { prefix })).tasks!.map((t) => t.taskId)).toEqual([...ids].reverse());

    const first = await list('fc-task', { prefix, sortOrderByTime: 'asc', limit: 2 });
    expect(first.tasks!.map((t) => t.taskId)).toEqual(ids.slice(0, 2));
    const second = await list('fc-task', { prefix, sortOrderByTime: 'asc', limit: 2, nextToken: first.nextToken });
    expect(second.tasks!.map((t) => t.taskId)).toEqual(ids.slice(2, 4));
    const last = await list('fc-task', { prefix, sortOrderByTime: 'asc', limit: 2, nextToken: second.nextToken });
    expect(last.tasks!.map((t) => t.taskId)).toEqual(ids.slice(4));
    expect(last.nextToken).toBeUndefined();

    const third = all.tasks![2]!;
    const window = await list('fc-task', { prefix, sortOrderByTime: 'asc', startedTimeBegin: third.startedTime, startedTimeEnd: all.tasks![3]!.startedTime });
    expect(window.tasks!.map((t) => t.taskId)).toEqual(ids.slice(2, 4));
    expect((await list('fc-task', { prefix, status: 'Failed' })).tasks).toEqual([]);
    expect((await list('fc-task-once', { prefix, status: 'Failed' })).tasks!.map((t) => t.taskId)).toEqual([`${prefix}failed`]);
    expect((await list('fc-task-once', { prefix, status: 'Succeeded' })).tasks).toEqual([]);

    await expect(list('fc-task', { status: 'Finished' })).rejects.toMatchObject({ statusCode: 400, code: 'InvalidArgument', message: expect.stringContaining("status 'Finished'") });
    await expect(list('fc-task', { sortOrderByTime: 'newest' })).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('sortOrderByTime') });
    await expect(list('fc-task', { limit: 101 })).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining("limit '101'") });
    await expect(list('fc-task', { nextToken: 'not-a-token' })).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('nextToken') });
  });

  it('answers AsyncTaskNotFound for a task that does not exist, and FunctionNotFound for a function that does not', async () => {
    await expect(getTask('fc-task', `${run}-nobody`)).rejects.toMatchObject({ statusCode: 404, code: 'AsyncTaskNotFound', message: expect.stringContaining(`${run}-nobody`) });
    await expect(sdk().stopAsyncTask('fc-task', `${run}-nobody`, new $FC.StopAsyncTaskRequest({}))).rejects.toMatchObject({ statusCode: 404, code: 'AsyncTaskNotFound' });
    await expect(getTask('fc-nothing', 'any')).rejects.toMatchObject({ statusCode: 404, code: 'FunctionNotFound' });
    await expect(sdk().getAsyncTask('fc-task', 'any', new $FC.GetAsyncTaskRequest({ qualifier: 'prod' }))).rejects.toMatchObject({ statusCode: 400, message: expect.stringContaining('qualifier prod') });
  });

  it('tracks no task of a function without asyncTask, and says so', async () => {
    const config = await sdk().getAsyncInvokeConfig('fc-plain', new $FC.GetAsyncInvokeConfigRequest({}));
    expect(config.body).toMatchObject({ asyncTask: false });
    expect((await sdk().getAsyncInvokeConfig('fc-task', new $FC.GetAsyncInvokeConfigRequest({}))).body).toMatchObject({ asyncTask: true });

    const submitted = await submit('fc-plain', { answer: `${run}-plain` });
    expect(submitted.status).toBe(202);
    expect(submitted.headers['x-fc-async-task-id']).toBeUndefined();
    const requestId = submitted.headers['x-fc-request-id']!;
    await eventually(() => expect(cloud.asyncInvoker.get(requestId)).toMatchObject({ status: 'succeeded', task_id: null }));
    const notEnabled = { statusCode: 404, code: 'AsyncTaskNotFound', message: expect.stringContaining('async tasks are not enabled') };
    await expect(getTask('fc-plain', requestId)).rejects.toMatchObject(notEnabled);
    await expect(sdk().stopAsyncTask('fc-plain', requestId, new $FC.StopAsyncTaskRequest({}))).rejects.toMatchObject(notEnabled);
    await expect(list('fc-plain', {})).rejects.toMatchObject({ statusCode: 400, code: 'InvalidArgument', message: expect.stringContaining('async tasks are not enabled') });
    // A task id for it is refused, not queued with the id dropped (a resubmission would run twice).
    await expect(submit('fc-plain', { answer: `${run}-dropped` }, `${run}-plain-task`)).rejects.toMatchObject({ statusCode: 400, code: 'InvalidArgument', message: expect.stringContaining('asyncInvokeConfig.asyncTask') });
  });

  describe('in the local console (D162)', () => {
    type ConsoleRow = { function_name: string; task_id: string | null; task_status: string | null; status: string };
    const consoleRows = async () => (await (await fetch(`${cloud.url}/_local/api/async?limit=1000`)).json()) as ConsoleRow[];
    const consoleRow = async (taskId: string) => (await consoleRows()).find((row) => row.task_id === taskId);
    const stopInConsole = (taskId: string, query = '?fn=fc-task') => fetch(`${cloud.url}/_local/api/async/${encodeURIComponent(taskId)}/stop${query}`, { method: 'POST' });

    it('lists a task with its id and FC status, an event that is not a task without them, and stops a running task as StopAsyncTask does', async () => {
      const taskId = `${run}-console-long`;
      await submit('fc-task', { sleepMs: 50_000, answer: 'never' }, taskId);
      await eventually(async () => expect(await consoleRow(taskId)).toMatchObject({ function_name: 'fc-task', task_status: 'Running', status: 'running' }), { timeoutMs: 30_000 });

      const stopped = await stopInConsole(taskId);
      expect([stopped.status, await stopped.json()]).toEqual([200, { functionName: 'fc-task', taskId, requestId: expect.any(String), taskStatus: 'Stopping' }]);
      const task = await taskIn('fc-task', taskId, 'Stopped');
      expect(task.events!.map((e) => e.status)).toEqual(['Enqueued', 'Running', 'Stopping', 'Stopped']);
      expect(await consoleRow(taskId)).toMatchObject({ task_status: 'Stopped', status: 'stopped' });
      expect(runsOf(task.requestId!)).toHaveLength(1);

      // An ended task: refused as StopAsyncTask refuses it, naming its status.
      const again = await stopInConsole(taskId);
      expect([again.status, await again.json()]).toEqual([400, { error: { code: 'InvalidArgument', message: expect.stringContaining('has already ended (Stopped)') } }]);

      const plain = await submit('fc-plain', { answer: `${run}-console-plain` });
      const plainId = plain.headers['x-fc-request-id']!;
      await eventually(async () => expect((await consoleRows()).find((row) => (row as { request_id?: string }).request_id === plainId)).toMatchObject({ task_id: null, task_status: null, status: 'succeeded' }));
    });

    it('stops a queued task before it runs again, and refuses an unknown task, function or missing ?fn= with a 4xx naming it', async () => {
      const retrying = `${run}-console-retry`;
      await submit('fc-task', { fail: 'try again' }, retrying);
      await eventually(async () => expect(await consoleRow(retrying)).toMatchObject({ task_status: 'Retrying' }), { timeoutMs: 30_000 });
      const stopped = await stopInConsole(retrying);
      expect([stopped.status, await stopped.json()]).toEqual([200, expect.objectContaining({ taskStatus: 'Stopped' })]);
      expect((await getTask('fc-task', retrying)).status).toBe('Stopped');

      const unknown = await stopInConsole(`${run}-console-nobody`);
      expect([unknown.status, await unknown.json()]).toEqual([404, { error: { code: 'AsyncTaskNotFound', message: expect.stringContaining(`${run}-console-nobody`) } }]);
      const plain = await stopInConsole('any', '?fn=fc-plain');
      expect([plain.status, await plain.json()]).toEqual([404, { error: { code: 'AsyncTaskNotFound', message: expect.stringContaining('async tasks are not enabled') } }]);
      const noFunction = await stopInConsole('any', '?fn=fc-nothing');
      expect([noFunction.status, await noFunction.json()]).toEqual([404, { error: { code: 'NotFound', message: expect.stringContaining('fc-nothing') } }]);
      const noFn = await stopInConsole('any', '');
      expect([noFn.status, await noFn.json()]).toEqual([400, { error: { code: 'BadRequest', message: expect.stringContaining('query.fn') } }]);
      const misspelt = await stopInConsole('any', '?function=fc-task');
      expect([misspelt.status, ((await misspelt.json()) as { error: { message: string } }).error.message]).toEqual([400, expect.stringContaining('query.function')]);
      // Only POST stops; a GET of the stop path is no read of an event called `any`.
      const read = await fetch(`${cloud.url}/_local/api/async/any/stop?fn=fc-task`);
      expect([read.status, await read.json()]).toEqual([404, { error: { code: 'NotFound', message: expect.stringContaining('GET /_local/api/ lists them') } }]);
    });
  });
});

describe('FC async tasks across a restart', () => {
  const dir = tempDir('fx-fc-tasks-restart-');

  afterAll(() => dir.cleanup());

  it('runs a task queued before a restart after it, expires one too old by then, and keeps one being stopped stopped', async () => {
    const appDir = join(dir.path, 'app');
    const dataDir = join(dir.path, 'data');
    copyFixtureApp('fc-async-tasks', appDir);
    mkdirSync(dataDir, { recursive: true });
    // Left by a start that stopped: a queued task, one queued six hours ago (fc-task's events live 5 hours), and one
    // that was running when StopAsyncTask asked to stop it.
    const stamp = Date.now().toString(36);
    const [queued, old, stopping] = ['queued', 'old', 'stopping'].map((what) => `restart-${what}-${stamp}`) as [string, string, string];
    const db = openControlDb(dataDir);
    const runtime = { find: (name: string) => ({ name, asyncInvokeConfig: { asyncTask: true } }) } as unknown as FunctionRuntime;
    const before = new AsyncInvoker(db, runtime, { region: 'cn-hangzhou' });
    for (const taskId of [queued, old, stopping]) expect(before.enqueueTask('fc-task', Buffer.from(JSON.stringify({ answer: taskId })), 'invoke-api', `req-${taskId}`, taskId)).toBe(true);
    await before.close();
    db.prepare('UPDATE async_invocations SET created_at = ? WHERE task_id = ?').run(Date.now() - 6 * 3600_000, old);
    db.prepare(`UPDATE async_invocations SET status = 'running', stop_requested = 1 WHERE task_id = ?`).run(stopping);
    db.close();

    const cloud: LocalCloud = await startLocalCloud({ root: appDir, port: 0, dataDir, prewarm: false, watch: false, env: {} });
    try {
      const sdk = localFcClient(cloud.url);
      const ended = (taskId: string, status: string) =>
        eventually(
          async () => {
            const got = (await sdk.getAsyncTask('fc-task', taskId, new $FC.GetAsyncTaskRequest({}))).body!;
            expect(got.status).toBe(status);
            return got;
          },
          { timeoutMs: 30_000 },
        );
      expect(await ended(queued, 'Succeeded')).toMatchObject({ taskId: queued, requestId: `req-${queued}`, returnPayload: JSON.stringify({ answer: queued }) });
      expect((await ended(old, 'Expired')).events!.map((e) => e.status)).toEqual(['Enqueued', 'Expired']);
      expect((await ended(stopping, 'Stopped')).events!.map((e) => e.status)).toEqual(['Enqueued', 'Stopped']);
      // Neither the expired nor the stopped task ran.
      const ran = cloud.runtime.recent({ functionName: 'fc-task', limit: 100 }).map((r) => r.requestId);
      expect(ran).toEqual([`req-${queued}`]);
    } finally {
      await cloud.stop();
    }
  });
});
