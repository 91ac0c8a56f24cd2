import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import NodeEnvironment from 'jest-environment-node';
import { relative } from 'node:path';
import { activeResources, resourcesBeyond, type ResourceCounts } from './active-resources';
import { killChildrenOnSigterm } from './children-die-with-worker';

/** How long a file's own asynchronous clean-up (a server closing, a child being reaped) may run on after it. */
const SETTLE_MS = 3000;
const POLL_MS = 25;

/**
 * Jest's node environment, plus a check when a test file is done (D104): whatever the file started that still
 * keeps the process alive (a server, a socket, a timer, a child process) fails the file, naming it. Before, such
 * a leak surfaced only when that file happened to be the last one of a jest worker, as the end-of-run notice
 * "A worker process has failed to exit gracefully", naming no file. Worker threads are not visible here.
 */
export default class LeakCheckEnvironment extends NodeEnvironment {
  private readonly testFile: string;
  private baseline: ResourceCounts = new Map();

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    // When jest kills this worker, what its tests started (an esbuild service mid-build, a local cloud process)
    // goes with it (D111).
    killChildrenOnSigterm();
    this.testFile = relative(config.globalConfig.rootDir, context.testPath);
  }

  override async setup(): Promise<void> {
    this.baseline = activeResources();
    await super.setup();
  }

  /**
   * Checked when the file's last hook is done (`run_finish`), not in `teardown()`: an error from there would
   * replace the file's own results (a failed `afterAll`, say, which is often why something was left open).
   */
  async handleTestEvent(event: Circus.AsyncEvent | Circus.SyncEvent, state: Circus.State): Promise<void> {
    if (event.name !== 'run_finish') return;
    const deadline = Date.now() + SETTLE_MS;
    let left = resourcesBeyond(this.baseline);
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      left = resourcesBeyond(this.baseline);
    }
    if (left.length > 0) {
      const handles = describeHandles();
      const error = new Error(`${this.testFile} left ${left.join(', ')} keeping the process alive ${SETTLE_MS} ms after its last test: close what it opened (D104). Handles now: ${handles}`);
      error.stack = error.message; // the place that matters is in the test file, not here
      state.unhandledErrors.push(error);
    }
  }
}

/** Sockets, servers and child processes by what they are connected to: a hint at which helper opened them. */
function describeHandles(): string {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles
    .map((h) => {
      const handle = h as { constructor?: { name?: string }; localPort?: number; remotePort?: number; address?: () => unknown; pid?: number; spawnargs?: string[]; _pipeName?: string; server?: { _pipeName?: string } };
      const kind = handle.constructor?.name ?? 'unknown';
      if (handle === process.stdout || handle === process.stderr || handle === process.stdin) return undefined;
      if (kind === 'ChildProcess') return `ChildProcess(${handle.pid} ${handle.spawnargs?.join(' ').slice(0, 120)})`;
      if (kind === 'Server') return `Server(${JSON.stringify(handle.address?.())})`;
      if (kind === 'Socket') return `Socket(${handle.localPort ?? handle.server?._pipeName ?? handle._pipeName ?? ''} → ${handle.remotePort ?? ''})`;
      return kind;
    })
    .filter((s) => s !== undefined)
    .join(', ');
}
