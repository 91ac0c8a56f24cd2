/**
 * How the SDK-method tables (ali-oss, @alicloud/mns, the FnF SDK) run a row: its result, or the error it threw.
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
