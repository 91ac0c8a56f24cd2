import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './paths';
import { StartSettingError } from './start-options';

/**
 * `npm start -- -t <file>` (or `--template <file>`, as `s deploy -t` names the yaml it reads): run a Serverless
 * Devs project of the user's own instead of this repository's s.yaml (D154). Its code folders, ROS template and
 * `${file()}` paths resolve from that file's folder, as `s` resolves them; its state goes to a data folder of its
 * own (`projectDataDir`), so two projects never share buckets, tables or queues.
 */

/** What the command line asked for: a template file, or none (this repository's s.yaml). */
export interface TemplateArgument {
  /** The path as the user typed it, when given. */
  given?: string;
  /** Arguments that are not the template option (the caller refuses them by name). */
  rest: string[];
}

/**
 * Takes `-t <file>`, `-t<file>`, `--template <file>` and `--template=<file>` out of `argv`. A flag without a value,
 * or given twice, is refused: taking the last one, or the next flag as a file name, would run another project.
 * @example templateArgument(['-t', '../shop/s.yaml']) // { given: '../shop/s.yaml', rest: [] }
 */
export function templateArgument(argv: readonly string[]): TemplateArgument {
  const rest: string[] = [];
  let given: string | undefined;
  const take = (flag: string, value: string | undefined) => {
    if (value === undefined || value === '' || value.startsWith('-')) throw new TemplateUsageError(`${flag} needs the path of a Serverless Devs yaml, e.g. ${flag} ../my-app/s.yaml`);
    if (given !== undefined) throw new TemplateUsageError(`give the template once: ${given} and ${value} were both given`);
    given = value;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-t' || arg === '--template') take(arg, argv[++i]);
    else if (arg.startsWith('--template=')) take('--template', arg.slice('--template='.length));
    else if (/^-t[^-]/.test(arg)) take('-t', arg.slice(2).replace(/^=/, ''));
    else rest.push(arg);
  }
  return given === undefined ? { rest } : { given, rest };
}

/**
 * `npm start -t <file>` without `--`: npm takes `-t` (or `--template`) as a setting of its own, warns, and passes only
 * the file on — or with `--template=<file>` nothing at all, leaving it in `npm_config_template`. Either way the suite
 * would have started instead of the project, or the file been refused as an unknown argument; this names the fix.
 * `command`: what to type instead, up to the flag (`npm start --`, `npm run invoke -- <fn>`).
 * @example npmTookTheFlag(['../app/s.yaml'], {}) // 'npm took -t for itself …: npm start -- -t ../app/s.yaml'
 */
export function npmTookTheFlag(rest: readonly string[], env: NodeJS.ProcessEnv, command = 'npm start --'): string | undefined {
  const fromConfig = env.npm_config_template;
  if (fromConfig && rest.length === 0) return `npm took --template=${fromConfig} as a setting of its own and did not pass it on: put -- before it, ${command} --template=${fromConfig}`;
  const [only] = rest;
  if (rest.length === 1 && !only!.startsWith('-') && /\.ya?ml$/i.test(only!)) return `npm took -t (or --template) for itself and passed only ${only} on: put -- before it, ${command} -t ${only}`;
  return undefined;
}

/** A command-line mistake (exit 2, with the usage), as opposed to a template that cannot be run. */
export class TemplateUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateUsageError';
  }
}

/**
 * The template file `given` names, absolute. A relative path is taken from the folder the user typed the command in:
 * npm runs a script in the package's folder and says where it was called from in INIT_CWD. A folder stands for its
 * `s.yaml` (or `s.yml`, `s`'s own order). A path that leads nowhere is refused here, naming what was looked for.
 * @example resolveTemplate('s.yaml', { INIT_CWD: '/home/me/shop' }) // '/home/me/shop/s.yaml'
 */
export function resolveTemplate(given: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const from = env.INIT_CWD && isAbsolute(env.INIT_CWD) ? env.INIT_CWD : cwd;
  const file = resolve(from, given);
  const shown = given === file ? given : `${given} (${file})`;
  if (!existsSync(file)) {
    const near = existsSync(dirname(file)) ? '' : `; its folder ${dirname(file)} does not exist either`;
    throw new StartSettingError(`-t ${shown}: no such file${near}. Give the path of your project's s.yaml, e.g. npm start -- -t ../my-app/s.yaml`);
  }
  if (!statSync(file).isDirectory()) return file;
  for (const name of ['s.yaml', 's.yml']) {
    if (existsSync(join(file, name))) return join(file, name);
  }
  throw new StartSettingError(`-t ${shown}: a folder with no s.yaml or s.yml in it. Give the yaml file itself, e.g. npm start -- -t ${join(given, 's.yaml')}`);
}

/**
 * The project `-t <given>` names, as an absolute file; undefined without `-t` or when it names this repository's own
 * s.yaml (`-t s.yaml` here is this repository's start, with its .data).
 */
export function chosenProject(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const template = given === undefined ? undefined : resolveTemplate(given, env);
  return template === join(REPO_ROOT, 's.yaml') ? undefined : template;
}

/**
 * The data folder of a project run with `-t` when DATA_DIR is not set: `.data-projects/<folder>-<hash>` in this
 * repository, one per template file. Not in the project's own folder: a function deployed with `code: ./` would
 * upload it, and its code folder's watcher would reload on every write to the databases (D154).
 * @example projectDataDir('/home/me/shop/s.yaml') // '<repo>/.data-projects/shop-1f3a9c2b'
 */
export function projectDataDir(template: string): string {
  const hash = createHash('sha256').update(resolve(template)).digest('hex').slice(0, 8);
  const folder = basename(dirname(resolve(template))).replace(/[^\w.-]+/g, '_') || 'root';
  return join(REPO_ROOT, '.data-projects', `${folder}-${hash}`);
}

/** How a template file is named in messages: relative to this repository when inside it, else in full. */
export function shownTemplate(file: string): string {
  const path = relative(REPO_ROOT, file);
  return path && !path.startsWith('..') && !isAbsolute(path) ? path : file;
}

/** The project a script of this repository works on (`npm run validate`, `build`, `deploy`; D160). */
export interface ScriptProject {
  /** Its yaml, absolute. */
  template: string;
  /** The yaml's folder: `code:` paths, the ROS template, `functions/` sources and `dist/` resolve from it, as `s` resolves them. */
  root: string;
  /** How messages name the yaml: `s.yaml` for this repository's, else as `shownTemplate` shows it. */
  shownAs: string;
  /** A project of the user's own (`-t`): this repository's own rules (its tables' code contracts, its stage variables) do not apply. */
  own: boolean;
}

/**
 * The project `-t <given>` names, or this repository's s.yaml without `-t` (or with `-t` naming it).
 * @example scriptProject('../shop/s.yaml', { INIT_CWD: '/home/me/suite' }) // { template: '/home/me/shop/s.yaml', root: '/home/me/shop', shownAs: '/home/me/shop/s.yaml', own: true }
 */
export function scriptProject(given: string | undefined, env: NodeJS.ProcessEnv = process.env): ScriptProject {
  const template = chosenProject(given, env);
  if (template === undefined) return { template: join(REPO_ROOT, 's.yaml'), root: REPO_ROOT, shownAs: 's.yaml', own: false };
  return { template, root: dirname(template), shownAs: shownTemplate(template), own: true };
}
