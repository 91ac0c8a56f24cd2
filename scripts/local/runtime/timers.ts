import { Cron } from 'croner';
import type { FunctionSpec, TimerTriggerSpec } from '../spec/model';
import type { AsyncInvoker } from './async-invoker';

/**
 * FC timer triggers. `cronExpression` is FC's 6-field cron (seconds first, UTC unless prefixed with
 * `CRON_TZ=<zone>`) or `@every <n>s|m|h`. A firing invokes the function asynchronously with FC's timer
 * event `{triggerTime, triggerName, payload}`, so retries and destinations apply.
 * https://alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-timertriggerconfig
 */
export interface TimerHandle {
  fn: FunctionSpec;
  trigger: TimerTriggerSpec;
  nextRun(): Date | undefined;
  lastRun?: { at: string; requestId: string };
}

export function timerEvent(trigger: TimerTriggerSpec, at: Date = new Date()): Buffer {
  return Buffer.from(JSON.stringify({ triggerTime: at.toISOString().replace(/\.\d{3}Z$/, 'Z'), triggerName: trigger.name, payload: trigger.payload }));
}

/** Parse `@every 90s` / `@every 5m` / `@every 1h` into milliseconds. */
export function parseEvery(expression: string): number | undefined {
  const match = /^@every\s+(\d+)(s|m|h)$/.exec(expression.trim());
  if (!match) return undefined;
  return Number(match[1]) * { s: 1000, m: 60000, h: 3600000 }[match[2] as 's' | 'm' | 'h'];
}

/** Parse an FC cron expression; throws with a readable message when it is not one. */
export function parseCron(expression: string): { pattern: string; timezone: string } {
  const tz = /^CRON_TZ=(\S+)\s+(.+)$/.exec(expression.trim());
  const pattern = (tz ? tz[2]! : expression).trim();
  if (pattern.split(/\s+/).length !== 6) throw new Error(`"${expression}" is not a 6-field FC cron (seconds minutes hours day month weekday)`);
  new Cron(pattern, { ...zoneOptions(tz?.[1] ?? 'UTC'), paused: true }).stop();
  return { pattern, timezone: tz?.[1] ?? 'UTC' };
}

/**
 * FC's default zone, UTC, as a fixed offset: a `timezone` makes croner build an `Intl.DateTimeFormat`,
 * whose first use loads time-zone data (~25 ms of every start).
 */
function zoneOptions(timezone: string): { timezone: string } | { utcOffset: number } {
  return timezone === 'UTC' ? { utcOffset: 0 } : { timezone };
}

export class Timers {
  private readonly handles: (TimerHandle & { stop(): void })[] = [];

  constructor(
    functions: FunctionSpec[],
    private readonly asyncInvoker: AsyncInvoker,
  ) {
    for (const fn of functions) {
      for (const trigger of fn.triggers) if (trigger.type === 'timer') this.handles.push(this.schedule(fn, trigger));
    }
  }

  private schedule(fn: FunctionSpec, trigger: TimerTriggerSpec): TimerHandle & { stop(): void } {
    const handle: TimerHandle & { stop(): void } = { fn, trigger, nextRun: () => undefined, stop: () => undefined };
    const fire = (): void => {
      this.fire(handle);
    };
    const every = parseEvery(trigger.cronExpression);
    if (every !== undefined) {
      let next = Date.now() + every;
      const timer = trigger.enable
        ? setInterval(() => {
            next = Date.now() + every;
            fire();
          }, every)
        : undefined;
      timer?.unref();
      handle.nextRun = () => (trigger.enable ? new Date(next) : undefined);
      handle.stop = () => timer && clearInterval(timer);
    } else {
      const { pattern, timezone } = parseCron(trigger.cronExpression);
      const job = new Cron(pattern, { ...zoneOptions(timezone), paused: !trigger.enable, unref: true }, fire);
      handle.nextRun = () => (trigger.enable ? (job.nextRun() ?? undefined) : undefined);
      handle.stop = () => job.stop();
    }
    return handle;
  }

  private fire(handle: TimerHandle): string {
    const requestId = this.asyncInvoker.enqueue(handle.fn.name, timerEvent(handle.trigger), `timer:${handle.trigger.name}`);
    handle.lastRun = { at: new Date().toISOString(), requestId };
    return requestId;
  }

  list(): TimerHandle[] {
    return this.handles;
  }

  /** "Run now": fire a timer immediately, exactly as its schedule would. Returns the request id. */
  runNow(functionNameOrResource: string, triggerName?: string): string {
    const handle = this.handles.find(
      (h) => (h.fn.name === functionNameOrResource || h.fn.resource === functionNameOrResource) && (!triggerName || h.trigger.name === triggerName),
    );
    if (!handle) throw new Error(triggerName ? `no timer trigger ${triggerName} on function ${functionNameOrResource}` : `no timer trigger on function ${functionNameOrResource}`);
    return this.fire(handle);
  }

  stop(): void {
    for (const handle of this.handles) handle.stop();
  }
}
