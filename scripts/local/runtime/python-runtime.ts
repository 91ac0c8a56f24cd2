import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { SOURCE_DIRS } from '../paths';
import type { FunctionSpec } from '../spec/model';
import type { ProcessLaunch } from './process-instance';
import type { FunctionContext } from './protocol';
import { regionalHostRules } from './regional-hosts';

/**
 * FC's built-in Python runtimes on the host's `python3` (D131). Each instance is a process running the local cloud's
 * bootstrap (`python/bootstrap.py`, standard library only), which loads the handler and speaks FC's custom-runtime
 * protocol with `ProcessInstance` (D123). Not FC's image: the interpreter is whatever `python3` the PATH finds, with
 * its version and its packages — FC's preinstalled modules (oss2, tablestore…) are there only if the user installed
 * them — and the first instance of each function says so in the function's log.
 */

/** Python of FC's runtimes (`python3` is FC's Python 3.6). */
const FC_VERSION: Record<string, string> = { 'python3.12': '3.12', 'python3.10': '3.10', 'python3.9': '3.9', python3: '3.6' };

/** The bootstrap's `ThreadingHTTPServer` came with 3.7. */
const OLDEST_HOST = [3, 7];

const BOOTSTRAP = join(SOURCE_DIRS.local, 'runtime', 'python', 'bootstrap.py');

export const INSTALL_HINT = 'install Python 3 (Debian/Ubuntu: apt-get install python3; macOS: brew install python) and make sure `python3` is on the PATH of npm start';

interface HostPython {
  /** The interpreter itself (`sys.executable`): later instances start it directly, not through a shim. */
  executable: string;
  /** `3.11.7` */
  version: string;
}

export class PythonNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FunctionNotStarted';
  }
}

/** Asked once per PATH: which python3 runs, and which version it is. */
const probes = new Map<string, Promise<HostPython>>();

function probe(path: string): Promise<HostPython> {
  return new Promise((resolve, reject) => {
    const script = 'import sys; print(sys.executable); print("%d.%d.%d" % sys.version_info[:3])';
    // HOME as instances have it: a version manager's python3 shim (pyenv, asdf) may look there.
    execFile('python3', ['-c', script], { env: { PATH: path, HOME: process.env.HOME ?? '/tmp' }, timeout: 30_000 }, (err, stdout) => {
      if (err) {
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        return reject(new PythonNotFoundError(missing ? `no python3 was found on the PATH (${path})` : `python3 did not run: ${err.message.split('\n')[0]}`));
      }
      const [executable = '', version = ''] = stdout.trim().split('\n');
      const [major = 0, minor = 0] = version.split('.').map(Number);
      if (major < OLDEST_HOST[0]! || (major === OLDEST_HOST[0] && minor < OLDEST_HOST[1]!)) {
        return reject(new PythonNotFoundError(`python3 on the PATH is Python ${version}; the local cloud needs 3.${OLDEST_HOST[1]} or newer`));
      }
      resolve({ executable: executable || 'python3', version });
    });
  });
}

export function hostPython(path: string): Promise<HostPython> {
  let found = probes.get(path);
  if (!found) {
    found = probe(path);
    // A python3 installed while the local cloud runs is found on the next try.
    found.catch(() => probes.delete(path));
    probes.set(path, found);
  }
  return found;
}

/** Functions whose log already says which Python runs them. */
const noted = new Set<string>();

/** The line in a function's log that says whose Python it is. */
export function hostPythonNote(fn: FunctionSpec, host: HostPython): string {
  const fcVersion = FC_VERSION[fn.runtime] ?? '?';
  const same = host.version.startsWith(`${fcVersion}.`);
  return `local cloud: ${fn.name} (runtime ${fn.runtime}) runs on this machine's Python ${host.version} (${host.executable}), not in FC's Python ${fcVersion} image${same ? '' : ` — the versions differ: code that needs ${fcVersion} exactly may behave differently here`}; FC's preinstalled modules (oss2, tablestore, …) are only there if you installed them\n`;
}

/**
 * How an instance of a Python function starts: the bootstrap on the host's python3, with the function's part of FC's
 * context (the per-request part — request id, credentials — comes in FC's headers). A missing python3 fails the
 * instance's start with a message that names it (`FunctionNotStarted`, the request's error).
 */
export async function pythonLaunch(fn: FunctionSpec, context: FunctionContext, env: Record<string, string>, log: (text: string) => void): Promise<ProcessLaunch> {
  let host: HostPython;
  try {
    host = await hostPython(env.PATH ?? '');
  } catch (err) {
    const message = `runtime ${fn.runtime} runs on this machine's python3 (the local cloud does not use FC's image): ${(err as Error).message}; ${INSTALL_HINT}`;
    log(`local cloud: ${message}\n`);
    throw new PythonNotFoundError(message);
  }
  if (!noted.has(fn.name)) {
    noted.add(fn.name);
    log(hostPythonNote(fn, host));
  }
  const config = {
    runtime: fn.runtime,
    function: {
      name: fn.name,
      handler: fn.handler,
      memory: fn.memorySize,
      timeout: fn.timeout,
      ...(fn.initializer ? { initializer: fn.initializer.handler, initializationTimeout: fn.initializer.timeout } : {}),
    },
    service: context.service,
    region: context.region,
    accountId: context.accountId,
    ...(fn.initializer ? { initializer: fn.initializer.handler } : {}),
    ...(fn.preStop ? { preStop: fn.preStop.handler } : {}),
    cloudHosts: regionalHostRules(context.region),
  };
  return {
    command: [host.executable, '-u', BOOTSTRAP, JSON.stringify(config)],
    builtIn: { runtime: fn.runtime, notStartedHint: `its output above says why (runtime ${fn.runtime} runs on this machine's Python ${host.version})` },
  };
}
