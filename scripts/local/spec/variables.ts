import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readYamlFile } from './yaml-file';
import { SpecError } from './errors';

/**
 * Renders Serverless Devs magic variables (docs/zh/variables.md of Serverless-Devs) in a parsed s.yaml:
 * `${vars.x}`, `${env('X')}`, `${env('X', 'default')}`, `${env.X}`, `${file('p')}`, `${json(file('p'))}`,
 * `${yaml(file('p'))}` (variables inside the included file are rendered too), `${path('p')}`,
 * `${config('AccountID')}`, `${this.name}`, `${this.props.a.b}`, `${resources.r.props.a.b}`.
 * A string that is exactly one `${…}` keeps the value's type (an included YAML stays an object);
 * otherwise values are interpolated as text. `${resources.r.output.*}` only exists after a real deploy,
 * so the local cloud refuses it with a hint.
 */
export interface RenderScope {
  baseDir: string;
  env: NodeJS.ProcessEnv;
  vars: Record<string, unknown>;
  config: Record<string, string>;
  /** Raw (unrendered) resources, for `${resources.x.props.*}`. */
  resources: Record<string, { props?: unknown }>;
  self?: { name: string; props: unknown };
  /** Key path of the value being rendered, for error messages. */
  path: string;
}

const EXPR = /\$\{([^{}]+)\}/g;

export function renderValue(value: unknown, scope: RenderScope): unknown {
  if (typeof value === 'string') return renderString(value, scope);
  if (Array.isArray(value)) return value.map((item, i) => renderValue(item, { ...scope, path: `${scope.path}[${i}]` }));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = renderValue(item, { ...scope, path: `${scope.path}.${key}` });
    return out;
  }
  return value;
}

function renderString(text: string, scope: RenderScope): unknown {
  const whole = /^\$\{([^{}]+)\}$/.exec(text.trim());
  if (whole) return evaluate(whole[1]!.trim(), scope);
  return text.replace(EXPR, (_m, expr: string) => {
    const value = evaluate(expr.trim(), scope);
    return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
  });
}

function evaluate(expr: string, scope: RenderScope): unknown {
  const call = /^(\w+)\((.*)\)$/s.exec(expr);
  if (call) return evaluateCall(call[1]!, call[2]!.trim(), scope, expr);
  if (expr.startsWith('env.')) return envValue(expr.slice(4), undefined, scope, expr);
  if (expr.startsWith('vars.')) return lookup(scope.vars, expr.slice(5), scope, expr);
  if (expr === 'this.name') return scope.self?.name ?? fail(scope, expr, '`this` is only defined inside a resource');
  if (expr.startsWith('this.props.')) {
    if (!scope.self) fail(scope, expr, '`this` is only defined inside a resource');
    return renderValue(lookup(scope.self!.props, expr.slice('this.props.'.length), scope, expr), scope);
  }
  const resource = /^resources\.([\w-]+)\.(props|output)\.(.+)$/.exec(expr);
  if (resource) {
    const [, name, kind, rest] = resource;
    if (kind === 'output') {
      fail(scope, expr, 'deploy outputs do not exist locally; derive the value from vars or `${resources.X.props.*}` instead');
    }
    const target = scope.resources[name!];
    if (!target) fail(scope, expr, `no resource named "${name}"`);
    const raw = lookup(target!.props, rest!, scope, expr);
    return renderValue(raw, { ...scope, self: { name: name!, props: target!.props } });
  }
  return fail(scope, expr, 'unknown variable');
}

function evaluateCall(fn: string, argText: string, scope: RenderScope, expr: string): unknown {
  if (fn === 'env') {
    const args = parseArgs(argText, scope, expr);
    return envValue(args[0] ?? '', args[1], scope, expr);
  }
  if (fn === 'path') return resolve(scope.baseDir, parseArgs(argText, scope, expr)[0] ?? '.');
  if (fn === 'config') {
    const key = parseArgs(argText, scope, expr)[0] ?? '';
    const value = scope.config[key];
    return value ?? fail(scope, expr, `config('${key}') not found`);
  }
  if (fn === 'file') return readText(resolve(scope.baseDir, parseArgs(argText, scope, expr)[0] ?? ''), scope, expr);
  if (fn === 'json' || fn === 'yaml') {
    const inner = /^file\((.*)\)$/s.exec(argText);
    if (!inner) return fail(scope, expr, `${fn}() takes file('<path>')`);
    const file = resolve(scope.baseDir, parseArgs(inner[1]!.trim(), scope, expr)[0] ?? '');
    if (!existsSync(file)) return fail(scope, expr, `no file ${file}`);
    const parsed: unknown = fn === 'json' ? parseJson(readText(file, scope, expr), scope, expr) : readYamlFile(file, { merge: true });
    return renderValue(parsed, { ...scope, baseDir: dirname(file), path: `${scope.path}<${file}>` });
  }
  return fail(scope, expr, `unsupported function ${fn}()`);
}

function parseJson(text: string, scope: RenderScope, expr: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    return fail(scope, expr, `not JSON: ${(err as Error).message}`);
  }
}

/** A file s.yaml names, or the spec problem naming the expression that named it. */
function readText(file: string, scope: RenderScope, expr: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    return fail(scope, expr, (err as NodeJS.ErrnoException).code === 'ENOENT' ? `no file ${file}` : (err as Error).message);
  }
}

function envValue(name: string, fallback: string | undefined, scope: RenderScope, expr: string): string {
  const value = scope.env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  return fail(scope, expr, `environment variable ${name} is not set and has no default`);
}

/** Arguments are quoted strings separated by commas: `'A', "b"`. */
function parseArgs(text: string, scope: RenderScope, expr: string): string[] {
  const args: string[] = [];
  const re = /\s*(?:'([^']*)'|"([^"]*)")\s*(?:,|$)/gy;
  let match: RegExpExecArray | null;
  while (re.lastIndex < text.length && (match = re.exec(text))) args.push(match[1] ?? match[2] ?? '');
  if (re.lastIndex < text.length && text.trim() !== '') fail(scope, expr, 'arguments must be quoted strings');
  return args;
}

function lookup(root: unknown, dotted: string, scope: RenderScope, expr: string): unknown {
  let node: unknown = root;
  for (const part of dotted.split('.')) {
    if (node === null || typeof node !== 'object' || !(part in (node as Record<string, unknown>))) {
      return fail(scope, expr, `"${dotted}" is not defined`);
    }
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function fail(scope: RenderScope, expr: string, why: string): never {
  throw new SpecError(scope.path, `\${${expr}}: ${why}`);
}
