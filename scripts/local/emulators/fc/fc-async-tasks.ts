/**
 * FC 3.0's async task APIs (D159): GetAsyncTask, ListAsyncTasks and StopAsyncTask, answered from the async invoker's
 * table, where a function with `asyncInvokeConfig.asyncTask: true` has each async invocation tracked as a task.
 *
 * Field names, query parameters and statuses are `@alicloud/fc20230330`'s (AsyncTask, AsyncTaskEvent,
 * ListAsyncTasksRequest). FC documents no error code for these operations: an unknown task (and a function without
 * task mode, which has none) answers 404 `AsyncTaskNotFound`, the code FC clients are seen to retry on; a task
 * that has already ended cannot be stopped (400 `InvalidArgument` naming its status).
 */
import { LOCAL_ACCOUNT_ID } from '../../credentials';
import { TASK_STATUSES, type AsyncEventRow, type AsyncInvoker } from '../../runtime/async-invoker';
import { safeDecode } from '../../runtime/http-trigger-event';
import type { FunctionSpec } from '../../spec/model';
import type { ResourceAnswer, ResourceRead } from './fc-resources';

export const ASYNC_TASK_OPERATIONS = ['GetAsyncTask', 'ListAsyncTasks', 'StopAsyncTask'];

/** FC's rule for a task id: a letter or `_` first, then letters, digits, `_` and `-`, at most 128 characters. */
const TASK_ID = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

/** Why a caller's `x-fc-async-task-id` is refused, if it is (FC's rule for task ids). */
export function taskIdProblem(taskId: string): string | undefined {
  if (TASK_ID.test(taskId)) return undefined;
  return `x-fc-async-task-id '${taskId}' is invalid: a task id starts with a letter or '_' and has only letters, digits, '_' and '-', at most 128 characters`;
}

/** Why a function's async tasks cannot be read or stopped: it does not run in task mode. */
function notTaskMode(fn: FunctionSpec): string | undefined {
  if (fn.asyncInvokeConfig?.asyncTask) return undefined;
  return `async tasks are not enabled for function '${fn.name}' (s.yaml: asyncInvokeConfig.asyncTask: true)`;
}

function qualifierProblem(query: URLSearchParams): ResourceAnswer | undefined {
  const qualifier = query.get('qualifier');
  if (qualifier && qualifier !== 'LATEST') return { status: 400, code: 'InvalidArgument', message: `qualifier ${qualifier} does not exist locally (only LATEST)` };
  return undefined;
}

/** The async task API a method and path is (`rest`: the path after `/2023-03-30/`), answering from `invoker`. */
export function asyncTaskRouteOf(method: string, rest: string, invoker: AsyncInvoker, region: string): ResourceRead | undefined {
  const one = /^functions\/([^/]+)\/async-tasks\/([^/]+)(\/stop)?$/.exec(rest);
  if (one && ((method === 'GET' && !one[3]) || (method === 'PUT' && one[3]))) {
    const functionName = safeDecode(one[1]!);
    const taskId = safeDecode(one[2]!);
    const stop = Boolean(one[3]);
    return {
      operation: stop ? 'StopAsyncTask' : 'GetAsyncTask',
      functionName,
      params: ['qualifier'],
      answer: (fn, c) => qualifierProblem(c.query) ?? (stop ? stopTask(fn, taskId, invoker) : getTask(fn, taskId, invoker, region)),
    };
  }
  const list = /^functions\/([^/]+)\/async-tasks$/.exec(rest);
  if (list && method === 'GET') {
    return { operation: 'ListAsyncTasks', functionName: safeDecode(list[1]!), params: LIST_PARAMS, answer: (fn, c) => qualifierProblem(c.query) ?? listTasks(fn, c.query, invoker, region) };
  }
  return undefined;
}

function notFound(fn: FunctionSpec, taskId: string): ResourceAnswer {
  const why = notTaskMode(fn);
  return { status: 404, code: 'AsyncTaskNotFound', message: why ? `async task '${taskId}' does not exist: ${why}` : `async task '${taskId}' of function '${fn.name}' does not exist` };
}

function getTask(fn: FunctionSpec, taskId: string, invoker: AsyncInvoker, region: string): ResourceAnswer {
  const row = notTaskMode(fn) ? undefined : invoker.task(fn.name, taskId);
  return row ? { body: taskJson(row, region, true) } : notFound(fn, taskId);
}

/** StopAsyncTask's answer; the local console's Stop button calls it too (D162), so both stop a task alike. */
export function stopTask(fn: FunctionSpec, taskId: string, invoker: AsyncInvoker): ResourceAnswer {
  if (notTaskMode(fn)) return notFound(fn, taskId);
  const outcome = invoker.stopTask(fn.name, taskId);
  if ('notFound' in outcome) return notFound(fn, taskId);
  if ('ended' in outcome) return { status: 400, code: 'InvalidArgument', message: `async task '${taskId}' has already ended (${statusOf(outcome.ended)}): only an Enqueued, Retrying or Running task can be stopped` };
  return { body: {} };
}

const LIST_PARAMS = ['prefix', 'status', 'startedTimeBegin', 'startedTimeEnd', 'sortOrderByTime', 'limit', 'nextToken', 'includePayload', 'qualifier'];

/** ListAsyncTasks: a function's tasks, newest first unless `sortOrderByTime=asc`, `limit` (1–100, default 20) a page. */
function listTasks(fn: FunctionSpec, query: URLSearchParams, invoker: AsyncInvoker, region: string): ResourceAnswer {
  const why = notTaskMode(fn);
  if (why) return { status: 400, code: 'InvalidArgument', message: `ListAsyncTasks: ${why}` };
  const bad = (name: string, rule: string): ResourceAnswer => ({ status: 400, code: 'InvalidArgument', message: `${name} '${query.get(name)}' ${rule}` });
  const limitText = query.get('limit') ?? '20';
  const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= 100)) return bad('limit', 'must be an integer from 1 to 100 in decimal digits');
  const status = query.get('status') ?? undefined;
  if (status !== undefined && !TASK_STATUSES.includes(status)) return bad('status', `must be one of ${TASK_STATUSES.join(', ')}`);
  const order = query.get('sortOrderByTime') ?? 'desc';
  if (order !== 'asc' && order !== 'desc') return bad('sortOrderByTime', 'must be asc or desc');
  const includePayload = query.get('includePayload') ?? 'false';
  if (includePayload !== 'true' && includePayload !== 'false') return bad('includePayload', 'must be true or false');
  const times: Record<string, number | undefined> = {};
  for (const name of ['startedTimeBegin', 'startedTimeEnd']) {
    const text = query.get(name);
    if (text !== null && !/^\d{1,15}$/.test(text)) return bad(name, 'must be a time in milliseconds since 1970 (decimal digits)');
    times[name] = text === null ? undefined : Number(text);
  }
  const token = query.get('nextToken');
  const after = token === null ? undefined : readToken(token);
  if (after === null) return bad('nextToken', 'is not a token this API answered');
  const rows = invoker.listTasks(fn.name, {
    prefix: query.get('prefix') ?? '',
    ...(status ? { status } : {}),
    ...(times.startedTimeBegin !== undefined ? { startedTimeBegin: times.startedTimeBegin } : {}),
    ...(times.startedTimeEnd !== undefined ? { startedTimeEnd: times.startedTimeEnd } : {}),
    order,
    ...(after ? { after } : {}),
    limit: limit + 1,
  });
  const next = rows[limit];
  const tasks = rows.slice(0, limit).map((row) => taskJson(row, region, includePayload === 'true'));
  return { body: { tasks, ...(next ? { nextToken: Buffer.from(JSON.stringify([next.created_at, next.task_id])).toString('base64url') } : {}) } };
}

/** A page token's key, or null when it is not one (`[created_at, task_id]` as base64url JSON). */
function readToken(token: string): [number, string] | null {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 2 && Number.isInteger(key[0]) && typeof key[1] === 'string') return [key[0] as number, key[1]];
  } catch {
    // not JSON: refused below
  }
  return null;
}

/** FC's task status of an async event row (`Running`, `Retrying`…), or null when the row is not a task. */
export function taskStatusOf(row: AsyncEventRow): string | null {
  return row.task_id ? statusOf(row.status, row.attempts, row.stop_requested === 1) : null;
}

/** FC's status of an event row (the same mapping as `TASK_STATUS` in SQL). */
function statusOf(status: AsyncEventRow['status'], attempts = 0, stopRequested = false): string {
  switch (status) {
    case 'queued':
      return attempts > 0 ? 'Retrying' : 'Enqueued';
    case 'running':
      return stopRequested ? 'Stopping' : 'Running';
    default:
      return status[0]!.toUpperCase() + status.slice(1);
  }
}

/** FC's `AsyncTask` of a task row; `withPayload`: with the invocation's payload (`taskPayload`). */
function taskJson(row: AsyncEventRow, region: string, withPayload: boolean): Record<string, unknown> {
  const events = JSON.parse(row.task_events ?? '[]') as Array<{ status: string; timestamp: number; eventDetail: string }>;
  const ended = row.ended_at ?? undefined;
  const started = row.started_at ?? undefined;
  return {
    taskId: row.task_id,
    requestId: row.request_id,
    functionArn: `acs:fc:${region}:${LOCAL_ACCOUNT_ID}:functions/${row.function_name}`,
    qualifier: 'LATEST',
    status: statusOf(row.status, row.attempts, row.stop_requested === 1),
    ...(started !== undefined ? { startedTime: started } : {}),
    ...(ended !== undefined ? { endTime: ended } : {}),
    ...(started !== undefined && ended !== undefined ? { durationMs: ended - started } : {}),
    alreadyRetriedTimes: Math.max(0, row.attempts - 1),
    ...(row.instance_id ? { instanceId: row.instance_id } : {}),
    ...(withPayload ? { taskPayload: row.payload.toString('utf8') } : {}),
    ...(row.return_payload ? { returnPayload: row.return_payload.toString('utf8') } : {}),
    ...(row.last_error && row.status !== 'succeeded' ? { taskErrorMessage: row.last_error } : {}),
    ...(row.destination_status ? { destinationStatus: row.destination_status } : {}),
    events: events.map((event, i) => ({ eventId: i + 1, status: event.status, timestamp: event.timestamp, eventDetail: event.eventDetail })),
  };
}
