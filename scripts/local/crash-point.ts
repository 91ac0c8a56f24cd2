/**
 * Named places where a crash test can have the local cloud killed for real, at a well-defined point instead of a
 * timed race (D146): with `LOCAL_CRASH_AT=<point>` in its environment, the process sends itself SIGKILL the first
 * time it reaches `crashPoint(<point>)` — no cleanup, no flush, exactly what a power cut at that instant leaves on
 * disk. `LOCAL_CRASH_AT=<point>@<text>` narrows it to the first time the point is reached with a detail containing
 * `<text>` (a function's or a flow state's name). Without the variable a crash point is one comparison. The points
 * are listed here so a test cannot ask for one that does not exist.
 */
export const CRASH_POINTS = [
  /** An async event's invocation ended; its outcome is not recorded yet (detail: the function). */
  'async-invoker:before-status',
  /** An async event's last attempt (or its success) is recorded; its destination is not sent yet (detail: the function). */
  'async-invoker:before-destination',
  /** FC's async queue took an MNS push to an `mns_topic` trigger; the push outbox has not removed it yet (detail: the function). */
  'mns-push:fc-accepted',
  /** An MNS queue trigger's invocation succeeded; its messages are not deleted yet (detail: the function). */
  'mns-trigger:before-delete',
  /** A TableStore trigger's batch was delivered; the trigger's cursor is not saved yet (detail: the function). */
  'table-stream:before-cursor',
  /** A flow task's function returned; the flow engine has not recorded the result yet (detail: the state). */
  'flow-task:returned',
  /** The OSS emulator committed a write (object, part, upload or removal); its event is not in FC's async queue yet (detail: `bucket/key`). */
  'oss:write-committed',
  /** An OSS event is in FC's async queue; the emulator's event outbox has not cleared it yet (detail: `bucket/key`). */
  'oss:event-enqueued',
] as const;
export type CrashPointName = (typeof CRASH_POINTS)[number];

const [wantedPoint, wantedDetail] = (process.env.LOCAL_CRASH_AT ?? '').split('@') as [string, string | undefined];
if (wantedPoint && !(CRASH_POINTS as readonly string[]).includes(wantedPoint)) {
  throw new Error(`LOCAL_CRASH_AT=${process.env.LOCAL_CRASH_AT} names no crash point; the points are ${CRASH_POINTS.join(', ')}`);
}

export function crashPoint(name: CrashPointName, detail = ''): void {
  if (wantedPoint === name && (!wantedDetail || detail.includes(wantedDetail))) process.kill(process.pid, 'SIGKILL');
}
