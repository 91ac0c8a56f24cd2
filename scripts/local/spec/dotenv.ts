import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The `.env` files Serverless Devs 3 reads before it renders a yaml, so `${env('X')}` finds what a project keeps
 * there (D154): first the `.env` of each resource's code folder (a plain `props.code` path), then the one beside the
 * yaml. As with dotenv, a variable already set (in the shell, or by an earlier file) is never replaced, so the shell
 * wins, then the code folders, then the yaml's folder. Values expand `${X}` and `$X` from what is known so far.
 * Only the rendering sees these: a function's environment is still exactly its `environmentVariables`.
 * @example withDotEnv(process.env, '/home/me/shop', ['./code/api']) // process.env plus shop/code/api/.env and shop/.env
 */
export function withDotEnv(env: NodeJS.ProcessEnv, baseDir: string, codePaths: string[]): NodeJS.ProcessEnv {
  const files = [...codePaths.filter((code) => !code.includes('${')).map((code) => join(resolve(baseDir, code), '.env')), join(baseDir, '.env')];
  let merged: NodeJS.ProcessEnv | undefined;
  for (const file of [...new Set(files)]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue; // no .env there: the usual case
    }
    merged ??= { ...env };
    for (const [key, value] of Object.entries(parseDotEnv(text, merged))) if (merged[key] === undefined) merged[key] = value;
  }
  return merged ?? env;
}

const LINE = /^[ \t]*(?:export[ \t]+)?([\w.-]+)[ \t]*=[ \t]*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`([^`]*)`|([^\n#]*?))[ \t]*(?:#.*)?$/gm;

/**
 * `KEY=value` lines as dotenv reads them: `export ` allowed, `#` comments (after an unquoted value too), values in
 * single, double or back quotes (double-quoted `\n` is a newline; quoted values may span lines). Then, as the
 * dotenv-expand that `s` runs after it, every value expands `${X}`, `${X:-default}` and `$X`: from `known` (the
 * environment), else the default, else the file's own lines; `\$` is a dollar.
 * @example parseDotEnv('A=1\nB="${A}-2" # two', {}) // { A: '1', B: '1-2' }
 */
export function parseDotEnv(text: string, known: NodeJS.ProcessEnv): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const match of text.replace(/\r\n?/g, '\n').matchAll(LINE)) {
    const [, key, single, double, back, bare] = match;
    raw[key!] = double !== undefined ? double.replace(/\\n/g, '\n').replace(/\\r/g, '\r').replace(/\\(["\\])/g, '$1') : (single ?? back ?? bare ?? '');
  }
  const parsed: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) parsed[key] = expand(value, (name) => known[name] || undefined, (name) => parsed[name] ?? raw[name]);
  return parsed;
}

/** dotenv-expand's substitutions, in its order: the environment, the `:-` default, the file's own value. */
function expand(value: string, fromEnv: (name: string) => string | undefined, fromFile: (name: string) => string | undefined): string {
  return value.replace(/(\\)?\$(?:\{([\w.-]+)(?::-([^}]*))?\}|([A-Za-z_]\w*))/g, (whole, escaped: string | undefined, braced: string | undefined, fallback: string | undefined, plain: string | undefined) => {
    if (escaped) return whole.slice(1);
    const name = (braced ?? plain)!;
    return fromEnv(name) ?? (fallback || fromFile(name) || '');
  });
}
