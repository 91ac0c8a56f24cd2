import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isDeepStrictEqual, promisify } from 'node:util';
import { ALL_TABLES } from '../../functions/_shared/contracts/tables';
import { unrunnableFunctions } from '../build/functions';
import { REPO_ROOT } from '../local/paths';
import { isPythonRuntime } from '../local/spec/custom-runtime';
import type { AppSpec } from '../local/spec/model';
import { shownTemplate } from '../local/template-option';

const run = promisify(execFile);

export interface Preview {
  vars: Record<string, unknown>;
  resources: Record<string, { component: string; props: unknown }>;
}

/**
 * Render s.yaml with Serverless Devs itself (`s preview -o json --silent`), offline: HOME is a throw-away
 * folder (nothing touches ~/.s) and placeholder credentials satisfy `${config('AccountID')}`.
 * NODE_ENV=test is the switch `@serverless-devs/s` 3.1.10 checks before it forks its background daemons
 * (an update check against registry.npmjs.org, a usage report); without it every run goes online.
 */
export async function previewWithServerlessDevs(root: string, env: NodeJS.ProcessEnv, template?: string): Promise<Preview> {
  const home = mkdtempSync(join(tmpdir(), 's-home-'));
  // A project of the user's own (`-t`, D160) has no node_modules of its own: this repository's `s` renders it,
  // given the file as `s deploy -t` would be (s reads the .env files beside it and resolves paths from its folder).
  const s = template ? join(REPO_ROOT, 'node_modules', '.bin', 's') : join(root, 'node_modules', '.bin', 's');
  const shown = template ? shownTemplate(template) : 's.yaml';
  const account = env.AccountID ?? '1000000000000001';
  try {
    const { stdout } = await run(s, ['preview', '-o', 'json', '--silent', ...(template ? ['-t', template] : [])], {
      cwd: root,
      env: { ...env, NODE_ENV: 'test', HOME: home, AccountID: account, AccessKeyID: env.AccessKeyID ?? 'offline', AccessKeySecret: env.AccessKeySecret ?? 'offline' },
      maxBuffer: 16 * 1024 * 1024,
      timeout: 60_000,
    });
    const preview = JSON.parse(stdout.slice(stdout.indexOf('{'))) as Preview;
    // The platform rules hold every ARN to the deploying account and region: `vars.accountId` and `vars.region` in
    // this repository's s.yaml. A project of its own may name neither (D160): the account is then the one
    // `${config('AccountID')}` was just rendered with, the region the first function's (a function in another is named).
    const firstRegion = Object.values(preview.resources).map((r) => (r.props as { region?: unknown } | null)?.region).find((r) => typeof r === 'string');
    preview.vars = { accountId: account, ...(firstRegion ? { region: firstRegion } : {}), ...preview.vars };
    return preview;
  } catch (err) {
    // Without `s` the check cannot run: said with the fix, not as `spawn …/s ENOENT` (npm run deploy stops here too).
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`Serverless Devs (s) is not installed: ${s} does not exist. It is a dev dependency of this repository: npm install puts it there`, { cause: err });
    // `s` explains a bad s.yaml on stdout (the line, an excerpt); the exec error alone said "Command failed: …".
    const said = String((err as { stdout?: unknown }).stdout ?? '').split(/\n\s*A complete log of this run/)[0]!.trim();
    throw new Error(said ? `s preview could not render ${shown}:\n${said}` : (err as Error).message, { cause: err });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

export interface Renderings {
  /** The environment the local cloud would run with: the deploying account left out, so ARNs name its own. */
  localEnv: NodeJS.ProcessEnv;
  /** `s preview` in that environment, compared with the local loader's rendering. */
  local: Preview;
  /** `s preview` in the given environment: what `s deploy` sends, checked against the platform's rules. */
  deploy: Preview;
}

/**
 * s.yaml rendered for both questions `npm run validate` asks. With a real `AccountID` exported (as a deploy needs)
 * every ARN names that account, which the local cloud — one account of its own — refuses; so the local cloud's
 * agreement is checked on the rendering without it, and the platform rules on the one with it (D141).
 */
export async function renderingsFor(root: string, env: NodeJS.ProcessEnv, template?: string): Promise<Renderings> {
  const { AccountID, ...localEnv } = env;
  const local = await previewWithServerlessDevs(root, localEnv, template);
  return { localEnv, local, deploy: AccountID === undefined ? local : await previewWithServerlessDevs(root, env, template) };
}

/** Differences between Serverless Devs' rendering and the local cloud's, resource by resource. */
export function renderingDifferences(preview: Preview, spec: AppSpec): string[] {
  const problems: string[] = [];
  const names = new Set([...Object.keys(preview.resources), ...Object.keys(spec.rendered)]);
  for (const name of names) {
    const theirs = preview.resources[name];
    const ours = spec.rendered[name];
    if (!theirs || !ours) problems.push(`resources.${name}: rendered by ${theirs ? 's preview' : 'the local cloud'} only`);
    else problems.push(...differingPaths(plain(theirs.props), plain(ours.props), `resources.${name}.props`));
  }
  return problems;
}

const plain = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

/**
 * Every leaf where two renderings differ, as `path: s preview <value> → local cloud <value>`, so a failed
 * check says exactly what to fix.
 * @example differingPaths({ a: 1 }, { a: 2 }, 'x') // ['x.a: s preview 1 → local cloud 2']
 */
export function differingPaths(theirs: unknown, ours: unknown, path: string): string[] {
  if (isDeepStrictEqual(theirs, ours)) return [];
  const isMap = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object';
  if (isMap(theirs) && isMap(ours) && Array.isArray(theirs) === Array.isArray(ours)) {
    const keys = new Set([...Object.keys(theirs), ...Object.keys(ours)]);
    return [...keys].flatMap((key) => differingPaths(theirs[key], ours[key], Array.isArray(theirs) ? `${path}[${key}]` : `${path}.${key}`));
  }
  const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
  return [`${path}: s preview ${show(theirs)} → local cloud ${show(ours)}`];
}

/** Tables in infra/ros.yaml must match the schemas the functions use (name, primary key, TTL). */
export function tableProblems(spec: AppSpec): string[] {
  const problems: string[] = [];
  for (const schema of ALL_TABLES) {
    const infra = spec.infra.tables.find((t) => t.name === schema.name);
    if (!infra) {
      problems.push(`table ${schema.name} is used by the code but not declared in the ROS template`);
      continue;
    }
    if (!isDeepStrictEqual(infra.primaryKey, schema.primaryKey.map((k) => ({ name: k.name, type: k.type })))) problems.push(`table ${schema.name}: primary key differs between infra and code`);
    if ((schema.ttlSeconds ?? -1) !== infra.ttlSeconds) problems.push(`table ${schema.name}: TTL ${infra.ttlSeconds} in infra, ${schema.ttlSeconds ?? -1} in code`);
  }
  for (const infra of spec.infra.tables) if (!ALL_TABLES.some((s) => s.name === infra.name)) problems.push(`table ${infra.name} is declared in infra but no code uses it`);
  return problems;
}

/**
 * Every Node.js function's code folder holds its handler's file (index.js for `index.handler`; `.cjs` too) exporting
 * the handler and hooks (run `npm run build` first). A custom runtime's or a Python function's folder is checked as
 * the local cloud checks it before running it (`unrunnableFunctions`): a project of its own (`-t`, D160) may have
 * them, and they have no bundle.
 */
export function bundleProblems(spec: AppSpec): string[] {
  const problems: string[] = [];
  const notNode = new Set(spec.functions.filter((fn) => fn.customRuntime || isPythonRuntime(fn.runtime)));
  for (const { fn, problem, hint } of unrunnableFunctions({ ...spec, functions: [...notNode] })) problems.push(`${fn.resource}: ${problem} (${hint})`);
  for (const fn of spec.functions.filter((f) => !notNode.has(f))) {
    const base = join(fn.codeDir, fn.handler.slice(0, fn.handler.lastIndexOf('.')));
    const file = [`${base}.js`, `${base}.cjs`].find((f) => existsSync(f));
    if (!file) {
      problems.push(`${fn.resource}: ${base}.js does not exist (run npm run build)`);
      continue;
    }
    const exported = (handler: string) => handler.slice(handler.lastIndexOf('.') + 1);
    const needed = [fn.handler, fn.initializer?.handler, fn.preStop?.handler].filter((h): h is string => !!h).map(exported);
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as Record<string, unknown>;
      for (const name of needed) if (typeof mod[name] !== 'function') problems.push(`${fn.resource}: ${basename(file)} does not export ${name}`);
    } catch (err) {
      problems.push(`${fn.resource}: ${basename(file)} fails to load: ${(err as Error).message}`);
    }
  }
  return problems;
}
