import { availableParallelism } from 'node:os';

/**
 * How many function instances the local cloud runs at once (docs/decisions.md D30).
 *
 * FC gives every concurrent request its own instance and has a region's machines to start them on; here
 * every instance is a thread of one process on the developer's machine, and a cold start costs ~50–100 ms
 * of CPU. Starting as many instances as there are concurrent requests makes a burst slower exactly when it
 * needs to be fast (the issue measured 16 product-bff instances on 2 CPUs, and 503s). So the caps follow
 * the CPU count:
 * - every function may always run one instance (a call tree — a BFF waiting on its services — can never
 *   block itself, and the instances prewarmed at start-up never compete with a burst);
 * - a function runs at most `perFunction` instances;
 * - all functions together run at most `extra` instances beyond their first.
 * A request above a cap waits in line (first come, first served) for an instance to finish, as a request
 * waits for a cold start on FC. `reservedConcurrency` in s.yaml keeps FC's meaning on top: concurrent
 * requests above it get 429.
 *
 * The caps protect the CPU, so they count instances that use it: an instance parked on I/O or a timer (a
 * long poll, a slow backend — busy for a while with its thread's event loop idle) does not count while the
 * CPUs have room, so a line behind parked instances still gets an instance (D40). `ceiling` bounds that:
 * a function never runs more than `ceiling` instances, parked or not.
 */
export interface InstanceCaps {
  /** Instances of one function at once (unless s.yaml's reservedConcurrency is lower). */
  perFunction: number;
  /** Instances beyond each function's first, shared by all functions. */
  extra: number;
  /** Instances of one function at once counting those parked on I/O (≥ perFunction). */
  ceiling: number;
}

/**
 * Two instances per CPU and function, four extra per CPU overall: the product page's call tree (a BFF and
 * six services) mostly waits on I/O, so a few instances per CPU keep the CPUs busy; more only add cold
 * starts and memory. Parked instances cost only memory (a thread each), so up to 8 per CPU and function.
 * @example defaultInstanceCaps(2) // { perFunction: 4, extra: 8, ceiling: 16 }
 */
export function defaultInstanceCaps(cpus: number = availableParallelism()): InstanceCaps {
  const n = Math.max(1, Math.floor(cpus));
  return { perFunction: 2 * n, extra: 4 * n, ceiling: 8 * n };
}

/**
 * The caps for this run: explicit options first, then the environment (`LOCAL_MAX_INSTANCES_PER_FUNCTION`,
 * `LOCAL_MAX_EXTRA_INSTANCES`, `LOCAL_MAX_PARKED_INSTANCES_PER_FUNCTION`), then the CPU-based defaults. A value
 * that is not a whole number in range is refused by name rather than silently ignored (`perFunction` ≥ 1,
 * `extra` ≥ 0, `ceiling` ≥ `perFunction`; a ceiling left to its default is raised to `perFunction`).
 */
export function instanceCaps(options: Partial<InstanceCaps> = {}, env: NodeJS.ProcessEnv = process.env): InstanceCaps {
  const defaults = defaultInstanceCaps();
  const pick = (explicit: number | undefined, name: string, fallback: number, min: number) => {
    const raw = explicit ?? (env[name] !== undefined && env[name] !== '' ? Number(env[name]) : fallback);
    if (!Number.isInteger(raw) || raw < min) throw new Error(`${name} must be a whole number ≥ ${min}, got ${explicit ?? env[name]}`);
    return raw;
  };
  const perFunction = pick(options.perFunction, 'LOCAL_MAX_INSTANCES_PER_FUNCTION', defaults.perFunction, 1);
  const extra = pick(options.extra, 'LOCAL_MAX_EXTRA_INSTANCES', defaults.extra, 0);
  const ceilingName = 'LOCAL_MAX_PARKED_INSTANCES_PER_FUNCTION';
  const ceilingGiven = options.ceiling !== undefined || (env[ceilingName] !== undefined && env[ceilingName] !== '');
  const ceiling = pick(options.ceiling, ceilingName, Math.max(defaults.ceiling, perFunction), ceilingGiven ? perFunction : 1);
  return { perFunction, extra, ceiling };
}
