/**
 * While the TableStore emulator's thread is started again after a death (D95), the main thread answers on its
 * port in its place, as TableStore answers while a partition moves: 503 `OTSServerUnavailable`. The SDK retries
 * that for the operations it may repeat (GetRow, GetRange, BatchGetRow, Search, DescribeTable…), so a read made
 * in the ~0.1–0.3 s the new thread takes is answered once it is back; a write fails at once with a message that
 * says why, instead of a refused connection. The stand-in is closed just before the new thread binds the port.
 */
import { createServer } from 'node:http';
import { sendError } from './answers';
import { OtsError } from './errors';

const RESTARTING = new OtsError(503, 'OTSServerUnavailable', 'The local TableStore emulator is restarting after its thread stopped; retry in a moment.');

export interface StandIn {
  close(): Promise<void>;
}

/** Listens on the emulator's port, or resolves undefined when it cannot (the port taken meanwhile). */
export async function startStandIn(port: number, host: string): Promise<StandIn | undefined> {
  const server = createServer((req, res) => {
    // The body is drained so the answer is not taken for a response to a half-sent request.
    req.resume();
    // Nothing of this connection is worth keeping: the next request goes to the new thread.
    req.once('end', () => sendError(req, res, RESTARTING, true));
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (!listening) return undefined;
  return {
    close: () =>
      new Promise<void>((resolve) => {
        // The port is free once close() returns; the callback waits for open connections, ended here too.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
