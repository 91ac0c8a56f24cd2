import { stopTask, taskStatusOf } from '../emulators/fc/fc-async-tasks';
import type { AsyncEventRow, AsyncInvoker } from '../runtime/async-invoker';
import { FunctionNotFoundError, type FunctionRuntime } from '../runtime/runtime';
import { ConsoleRequestError } from './query';

/**
 * The console's view of FC async tasks (D159, D162): each async row of a task-mode function carries its task id and
 * FC's task status, and `POST /_local/api/async/<taskId>/stop?fn=<function>` stops one through StopAsyncTask's own
 * code (`stopTask` of the FC emulator), so the button and the API cannot disagree on what may be stopped.
 */

/** FC's task statuses a task can still be stopped from (StopAsyncTask refuses the others). */
export const STOPPABLE_TASK_STATUSES = ['Enqueued', 'Retrying', 'Running'];

/** A row of `GET /_local/api/async` with its task status (`null` for an event that is not a task). */
export function withTaskStatus<T extends AsyncEventRow>(row: T): T & { task_status: string | null } {
  return { ...row, task_status: taskStatusOf(row) };
}

/** Stops task `taskId` of the function `?fn=` names; the answer's status and body for the console API. */
export function stopFromConsole(runtime: FunctionRuntime, invoker: AsyncInvoker, taskId: string, url: URL): { status: number; body: unknown } {
  const name = url.searchParams.get('fn');
  if (!name) throw new ConsoleRequestError('query.fn: name the function whose task to stop (task ids are unique per function)');
  const fn = runtime.find(name);
  if (!fn) throw new FunctionNotFoundError(name);
  const answer = stopTask(fn, taskId, invoker);
  if ('status' in answer) return { status: answer.status, body: { error: { code: answer.code, message: answer.message } } };
  const row = invoker.task(fn.name, taskId)!;
  return { status: 200, body: { functionName: fn.name, taskId, requestId: row.request_id, taskStatus: taskStatusOf(row) } };
}
