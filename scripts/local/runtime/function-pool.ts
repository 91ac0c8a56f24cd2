import type { FunctionSpec } from '../spec/model';
import { Instance, type InstanceOutcome } from './instance';
import type { ContextData } from './protocol';

export interface PoolOptions {
  env: Record<string, string>;
  /** Instances per function when s.yaml sets no reservedConcurrency (protects the laptop). */
  defaultMaxInstances: number;
  /** Retire instances idle this long. */
  idleMs: number;
  onLog: (fn: FunctionSpec, instanceId: string, text: string, invocationId: number | null) => void;
  /** The FC context for a lifecycle hook call (preStop has no request of its own). */
  hookContext: (fn: FunctionSpec) => ContextData;
}

export interface PoolOutcome extends InstanceOutcome {
  instanceId: string;
  coldStart: boolean;
  throttled?: boolean;
}

/** The local cloud is stopping: requests still arriving get 503 (and are not worth logging as errors). */
export class ShuttingDownError extends Error {
  readonly status = 503;
  constructor(fn: string) {
    super(`function ${fn} is shutting down`);
    this.name = 'ShuttingDown';
  }
}

export class ThrottledError extends Error {
  constructor(fn: string, limit: number) {
    super(`Reserved concurrency (${limit}) of function ${fn} exceeded`);
    this.name = 'ResourceThrottled';
  }
}

/**
 * The instances of one function. FC 3.0 built-in runtimes serve one request per instance, so
 * concurrency means more instances: a free one is reused (warm), otherwise a new one starts (cold)
 * up to the cap. Above `reservedConcurrency` FC throttles (429); above the local default cap requests wait.
 */
export class FunctionPool {
  private instances: Instance[] = [];
  private starting = 0;
  private readonly startingInstances = new Set<Promise<Instance>>();
  /** The start-up warm-up of this function's first instance, while it runs. */
  private prewarming: Promise<void> | undefined;
  /** Instances running their preStop hook on the way out. */
  private readonly retiring = new Set<Promise<void>>();
  private waiters: (() => void)[] = [];
  private readonly reaper: NodeJS.Timeout;
  private closed = false;

  constructor(
    private fn: FunctionSpec,
    private readonly options: PoolOptions,
  ) {
    this.reaper = setInterval(() => this.reapIdle(), Math.min(options.idleMs, 30000));
    this.reaper.unref();
  }

  get spec(): FunctionSpec {
    return this.fn;
  }

  get size(): number {
    return this.instances.length;
  }

  get busy(): number {
    return this.instances.filter((i) => i.busy).length;
  }

  private get cap(): number {
    return this.fn.reservedConcurrency ?? this.options.defaultMaxInstances;
  }

  /**
   * Run one invocation on a warm or new instance. `timeoutMs` is the function's timeout left for the handler:
   * its clock starts once the instance is ready, as on FC, where starting an instance (and the initializer,
   * with its own timeout) does not count against the invocation's timeout.
   */
  async invoke(event: Buffer, context: ContextData, timeoutMs: number, onAssigned: (instanceId: string) => void = () => undefined): Promise<PoolOutcome> {
    const { instance, coldStart } = await this.acquire();
    onAssigned(instance.id);
    try {
      if (this.fn.initializer && !instance.initialized) {
        instance.initialized = true;
        const init = await instance.call({ type: 'initialize', context }, this.fn.initializer.timeout * 1000, `Function initialization timed out after ${this.fn.initializer.timeout} seconds`);
        if (!init.ok) {
          void instance.terminate();
          return { ...init, error: { errorType: 'InitializationError', errorMessage: init.error?.errorMessage ?? 'initializer failed', ...(init.error?.stackTrace ? { stackTrace: init.error.stackTrace } : {}) }, instanceId: instance.id, coldStart };
        }
      }
      const outcome = await instance.invoke(event, context, Math.max(1, timeoutMs));
      return { ...outcome, instanceId: instance.id, coldStart };
    } finally {
      this.release(instance);
    }
  }

  /**
   * Warm one instance ahead of the first request (used at start-up). A request arriving meanwhile waits
   * for this instance instead of starting a second one next to it.
   */
  async prewarm(): Promise<void> {
    if (this.instances.length > 0 || this.starting > 0) return;
    this.prewarming = (async () => {
      const { instance } = await this.acquire(false);
      instance.warmed = true;
      instance.busy = false;
      this.waiters.shift()?.();
    })().finally(() => (this.prewarming = undefined));
    await this.prewarming;
  }

  private async acquire(waitForPrewarm = true): Promise<{ instance: Instance; coldStart: boolean }> {
    for (;;) {
      if (this.closed) throw new ShuttingDownError(this.fn.name);
      const idle = this.instances.find((i) => !i.busy && !i.stale && i.alive);
      if (idle) {
        idle.busy = true;
        return { instance: idle, coldStart: idle.invocations === 0 && !idle.warmed };
      }
      if (waitForPrewarm && this.prewarming) {
        await this.prewarming.catch(() => undefined);
        continue;
      }
      if (this.instances.length + this.starting < this.cap) {
        this.starting++;
        const started = Instance.start(this.fn, this.options.env);
        this.startingInstances.add(started);
        try {
          const instance = await started;
          if (this.closed) {
            // close() ran while this thread was starting: it must not outlive the pool.
            await instance.terminate();
            throw new ShuttingDownError(this.fn.name);
          }
          instance.logSink = (text, id) => this.options.onLog(this.fn, instance.id, text, id);
          instance.busy = true;
          this.instances.push(instance);
          return { instance, coldStart: true };
        } finally {
          this.starting--;
          this.startingInstances.delete(started);
        }
      }
      if (this.fn.reservedConcurrency !== undefined) throw new ThrottledError(this.fn.name, this.fn.reservedConcurrency);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private release(instance: Instance): void {
    instance.busy = false;
    instance.invocations++;
    instance.lastUsedAt = Date.now();
    if (!instance.alive || instance.stale) this.retire(instance);
    this.waiters.shift()?.();
  }

  private retire(instance: Instance): void {
    this.instances = this.instances.filter((i) => i !== instance);
    if (!instance.alive) return;
    const retiring = (async () => {
      if (this.fn.preStop) {
        await instance.call({ type: 'preStop', context: this.options.hookContext(this.fn) }, this.fn.preStop.timeout * 1000, 'preStop timed out');
      }
      await instance.terminate();
    })().finally(() => this.retiring.delete(retiring));
    this.retiring.add(retiring);
  }

  /** New code or settings: idle instances go now, busy ones after their current request. */
  reload(fn: FunctionSpec = this.fn): void {
    this.fn = fn;
    for (const instance of [...this.instances]) {
      instance.stale = true;
      if (!instance.busy) this.retire(instance);
    }
  }

  private reapIdle(): void {
    const cutoff = Date.now() - this.options.idleMs;
    for (const instance of [...this.instances]) if (!instance.busy && instance.lastUsedAt < cutoff) this.retire(instance);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    for (const w of this.waiters.splice(0)) w();
    // Threads still starting terminate themselves in acquire(); wait for them so none outlives close().
    await Promise.allSettled([...this.startingInstances, ...this.retiring]);
    await Promise.all(this.instances.map((i) => i.terminate()));
    this.instances = [];
  }
}
