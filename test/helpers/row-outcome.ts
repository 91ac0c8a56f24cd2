/**
 * The SDK-method tables (ali-oss, @alicloud/mns, the FnF SDK): one row per SDK method, what it expects, and how
 * a row is run.
 */

/** The SDK's own loose result (each SDK types its answers differently, or not at all). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type SdkResult = any;

/** What a row expects: the call's result (checked further when a check is given), or the service's refusal. */
export type RowExpected<Env> =
  | { kind: 'ok'; check?: (result: SdkResult, env: Env) => void | Promise<void> }
  | { kind: 'refused'; status: number; code: string; names: RegExp };

export interface SdkMethodRow<Env> {
  /** The SDK method (first word), then what the row does. */
  method: string;
  call: (env: Env) => Promise<unknown>;
  expected: RowExpected<Env>;
}

/** The two ways of writing a row's expectation, typed for one table's environment. */
export function rowExpectations<Env>(): {
  ok(check?: (result: SdkResult, env: Env) => void | Promise<void>): RowExpected<Env>;
  refused(status: number, code: string, names: RegExp): RowExpected<Env>;
} {
  return {
    ok: (check) => ({ kind: 'ok', ...(check ? { check } : {}) }),
    refused: (status, code, names) => ({ kind: 'refused', status, code, names }),
  };
}

/**
 * How a row is run: its result, or the error it threw.
 * A row that has not answered within the timeout — far longer than any row needs — has hung, and that is an
 * error too, naming the row.
 */
export const ROW_TIMEOUT_MS = 15_000;

export async function rowOutcome<E = Error>(label: string, run: () => Promise<unknown>, timeoutMs = ROW_TIMEOUT_MS): Promise<{ result?: unknown; error?: E }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return { result: await Promise.race([run(), hang]) };
  } catch (error) {
    return { error: error as E };
  } finally {
    clearTimeout(timer);
  }
}
