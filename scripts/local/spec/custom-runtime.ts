import { isAbsolute, join, relative } from 'node:path';
import { SpecError } from './errors';
import { CUSTOM_RUNTIMES, PYTHON_RUNTIMES, type CustomHealthCheckSpec, type CustomRuntimeName, type CustomRuntimeSpec, type PythonRuntimeName } from './model';

/**
 * `runtime: custom.*` with `customRuntimeConfig` (D123): FC starts `command` + `args` in the code folder and
 * forwards every invocation to the HTTP server it runs. The facts, from FC's docs:
 * - CustomRuntimeConfig: `command`, `args`, `port` (default 9000), `healthCheckConfig`
 *   https://www.alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-customruntimeconfig
 * - without a command FC runs `/code/bootstrap`; the code is unpacked to `/code`
 *   https://help.aliyun.com/en/functioncompute/fc-2-0/user-guide/principles
 * - CustomHealthCheckConfig's ranges and defaults (initialDelaySeconds 0..120 = 0, periodSeconds 1..120 = 3,
 *   timeoutSeconds 1..3 = 1, failureThreshold 1..120 = 3, successThreshold 1..120 = 1)
 *   https://www.alibabacloud.com/help/en/functioncompute/api-fc-2023-03-30-struct-customhealthcheckconfig
 */

/** Runtimes refused by name, with what to do instead. */
const REFUSED_RUNTIMES: Record<string, string> = {
  'custom-container': 'custom containers need Docker, which the local cloud does not use; run the server as runtime custom.debian12 with customRuntimeConfig instead',
};

export function isCustomRuntime(runtime: string): runtime is CustomRuntimeName {
  return (CUSTOM_RUNTIMES as readonly string[]).includes(runtime);
}

/** FC's built-in Python runtimes, run on the host's python3 (D131). */
export function isPythonRuntime(runtime: string): runtime is PythonRuntimeName {
  return (PYTHON_RUNTIMES as readonly string[]).includes(runtime);
}

/** Why `runtime` cannot run locally, or undefined when it can. */
export function runtimeProblem(runtime: string, path: string): SpecError | undefined {
  if (runtime === 'nodejs20' || runtime === 'nodejs18' || isCustomRuntime(runtime) || isPythonRuntime(runtime)) return undefined;
  return new SpecError(path, `runtime "${runtime}" is not emulated${REFUSED_RUNTIMES[runtime] ? `: ${REFUSED_RUNTIMES[runtime]}` : ''}`, `the local cloud runs nodejs20, nodejs18, ${PYTHON_RUNTIMES.join(', ')} (on this machine's python3) and ${CUSTOM_RUNTIMES.join(', ')}`);
}

/** FC runs the code from `/code`; locally it is the code folder, so `/code/…` in the command means a file there. */
function mapCodePath(word: string, codeDir: string): string {
  if (word === '/code') return codeDir;
  if (!word.startsWith('/code/')) return word;
  const inside = join(codeDir, word.slice('/code/'.length));
  // `/code/../etc` must not climb out of the code folder.
  const rel = relative(codeDir, inside);
  return rel.startsWith('..') || isAbsolute(rel) ? word : inside;
}

function stringList(value: unknown, path: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new SpecError(path, 'must be a list of strings');
  return value as string[];
}

function intIn(value: unknown, low: number, high: number, fallback: number, path: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) throw new SpecError(path, `must be an integer in ${low}..${high} (got ${JSON.stringify(value)})`);
  return value;
}

function healthCheck(raw: unknown, path: string): CustomHealthCheckSpec | undefined {
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SpecError(path, 'must be an object');
  const config = raw as Record<string, unknown>;
  const url = config.httpGetUrl;
  if (typeof url !== 'string' || !url.startsWith('/') || url.length > 2048) throw new SpecError(`${path}.httpGetUrl`, 'is required: a path such as /ready (at most 2048 characters)');
  return {
    httpGetUrl: url,
    initialDelayMs: intIn(config.initialDelaySeconds, 0, 120, 0, `${path}.initialDelaySeconds`) * 1000,
    periodMs: intIn(config.periodSeconds, 1, 120, 3, `${path}.periodSeconds`) * 1000,
    timeoutMs: intIn(config.timeoutSeconds, 1, 3, 1, `${path}.timeoutSeconds`) * 1000,
    failureThreshold: intIn(config.failureThreshold, 1, 120, 3, `${path}.failureThreshold`),
    successThreshold: intIn(config.successThreshold, 1, 120, 1, `${path}.successThreshold`),
  };
}

/** `customRuntimeConfig` of a custom-runtime function (absent: FC's `/code/bootstrap` on port 9000). */
export function toCustomRuntime(raw: unknown, codeDir: string, path: string): CustomRuntimeSpec {
  const config = raw === undefined ? {} : raw;
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new SpecError(path, 'must be an object');
  const { command, args, port, healthCheckConfig } = config as Record<string, unknown>;
  const commandWords = stringList(command, `${path}.command`);
  const toHost = (word: string) => mapCodePath(word, codeDir);
  const check = healthCheck(healthCheckConfig, `${path}.healthCheckConfig`);
  return {
    command: (commandWords.length > 0 ? commandWords : ['/code/bootstrap']).map(toHost),
    args: stringList(args, `${path}.args`).map(toHost),
    port: intIn(port, 1, 65535, 9000, `${path}.port`),
    ...(check ? { healthCheck: check } : {}),
  };
}
