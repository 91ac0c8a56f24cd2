/**
 * Error names a state fails with, and how Retry/Catch `Errors` lists match them (CloudFlow docs,
 * error-handling: `FnF.ALL` matches everything, `FC.{ErrorCode}` are Function Compute's errors, any other
 * name is matched exactly — e.g. the `errorType` a function throws).
 *
 * Names the engine itself raises (decision D28; the new-spec docs name none besides FnF.ALL):
 * - `FnF.TaskTimeout`: a Task ran longer than its `Timeout` (the name Alibaba's own samples retry on);
 * - `FnF.RuntimeError`: the flow's data went wrong at run time (an expression failed, `ItemsPath` is not
 *   an array, a `Seconds.$` is out of range, an output exceeds 64 KiB).
 * A Retry/Catch naming any other `FnF.*` is refused when the flow loads: it could never match locally.
 */
export const ERROR_ALL = 'FnF.ALL';
export const ERROR_TASK_TIMEOUT = 'FnF.TaskTimeout';
export const ERROR_RUNTIME = 'FnF.RuntimeError';
export const ENGINE_ERRORS = [ERROR_ALL, ERROR_TASK_TIMEOUT, ERROR_RUNTIME];

/** A state's failure: `Code` and `Detail` are what `$Context.Current.Error` shows. */
export interface StateError {
  code: string;
  detail: string;
}

export function errorMatches(names: readonly string[], code: string): boolean {
  return names.some((name) => name === ERROR_ALL || name === code);
}

/**
 * Errors of the FnF API and the engine behind it, with CloudFlow's codes (fnf 2019-03-15 API metadata).
 * The emulator maps `code` to the documented HTTP status.
 */
export type ApiErrorCode =
  | 'FlowNotExists'
  | 'FlowAlreadyExists'
  | 'ExecutionNotExists'
  | 'ExecutionAlreadyExists'
  | 'ExecutionAlreadyCompleted'
  | 'TaskAlreadyCompleted'
  | 'InvalidArgument'
  | 'MissingRequiredParams'
  | 'EntityTooLarge';

export class FlowApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'FlowApiError';
  }
}
