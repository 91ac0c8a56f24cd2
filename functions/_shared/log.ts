import pino from 'pino';

/**
 * Structured JSON logs with fixed keys (`level, msg, time, fn, requestId, correlationId`).
 * Written to `process.stdout` as a stream (not fd 1) so the FC runtime — and the local cloud, which runs
 * instances in worker threads — attribute every line to the invocation that wrote it.
 */
export type Logger = pino.Logger;

const root = pino(
  {
    level: process.env.LOG_LEVEL ?? 'info',
    base: { fn: process.env.FC_FUNCTION_NAME },
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  process.stdout,
);

export function createLogger(bindings: { requestId?: string; correlationId?: string; [key: string]: unknown } = {}): Logger {
  return root.child(bindings);
}
