/**
 * Named places where a crash test can have the local cloud killed for real, at a well-defined point instead of a
 * timed race (D146): with `LOCAL_CRASH_AT=<name>` in its environment, the process sends itself SIGKILL the first
 * time it reaches `crashPoint(<name>)` — no cleanup, no flush, exactly what a power cut at that instant leaves on
 * disk. Without the variable a crash point is one string comparison. The names are listed here so a test cannot
 * ask for a point that does not exist.
 */
export const CRASH_POINTS = [
  /** An async event's last attempt (or its success) is recorded; its destination is not sent yet. */
  'async-invoker:before-destination',
  /** FC's async queue took an MNS push to an `mns_topic` trigger; the push outbox has not removed it yet. */
  'mns-push:fc-accepted',
] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

const wanted = process.env.LOCAL_CRASH_AT;
if (wanted && !(CRASH_POINTS as readonly string[]).includes(wanted)) {
  throw new Error(`LOCAL_CRASH_AT=${wanted} is not a crash point; the points are ${CRASH_POINTS.join(', ')}`);
}

export function crashPoint(name: CrashPointName): void {
  if (wanted === name) process.kill(process.pid, 'SIGKILL');
}
