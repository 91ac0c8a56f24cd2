import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The connection of the client that waits for a synchronous invocation's answer (an HTTP trigger's request, an
 * InvokeFunction call). FC cancels an invocation whose client disconnects before it finished ("Invocation
 * canceled by client"); the local cloud drops such a request from its function's line, so requests nobody will
 * read (a load generator that stopped, a browser tab reloaded, a caller whose budget ran out) do not hold up the
 * ones behind them (D168). An invocation already running is not interrupted here: it finishes, as before.
 */
export interface ClientConnection {
  /** The client closed its connection before the answer was sent. */
  readonly gone: boolean;
  /** Calls `onGone` once if the client goes away before the answer; the function returned stops watching. */
  watch(onGone: () => void): () => void;
}

/** The error of an invocation dropped from the line because its client went away (FC's words in its request log). */
export const CANCELED_BY_CLIENT = { errorType: 'InvocationCanceled', errorMessage: 'Invocation canceled by client' } as const;

/**
 * The client of one HTTP request, watched only when the pool asks (a request that finds a free instance never
 * does): 'close' before the response finished is a client that went away.
 */
export function clientConnectionOf(req: IncomingMessage, res: ServerResponse): ClientConnection {
  const socket = req.socket;
  return {
    get gone() {
      return socket.destroyed && !res.writableFinished;
    },
    watch(onGone) {
      const onClose = () => {
        if (!res.writableFinished) onGone();
      };
      res.once('close', onClose);
      return () => res.off('close', onClose);
    },
  };
}
