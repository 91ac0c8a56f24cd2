/**
 * `npm run deploy [-- -t <file>] [s deploy's own options]`: what the package.json chain `deploy-check && npm run build
 * && npm run validate -- --deploy && s deploy -y` did, step by step, for this repository's s.yaml or the project
 * `-t` names (D160) — every step on that one file, and `s deploy -t <file>` at the end. A step that fails ends the
 * deploy with its exit code, as `&&` did; whatever else is given goes to `s deploy`, as npm appended it to the chain.
 */
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { templateOrUsage } from './cli-arguments';
import { missingCredentials } from './deploy-check';
import { REPO_ROOT } from './local/paths';
import { scriptProject } from './local/template-option';

const USAGE = `usage: npm run deploy [-- [-t <file>] [s deploy's options]]
  checks credentials, builds, validates (npm run validate -- --deploy), then runs s deploy -y
  -t, --template <file>  deploy your own Serverless Devs project: each step on that file, then s deploy -t <file>`;

/** Runs a step with the terminal; its exit status (1 when it could not be started or was ended by a signal). */
function step(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): number {
  const result = spawnSync(command, args, { cwd, env, stdio: 'inherit' });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    // The chain's shell said `s: not found` (127): said here with where it comes from.
    console.error(missing ? `${command}: not found. Serverless Devs (s) is a dev dependency: npm install puts it in node_modules/.bin` : result.error.message);
    return missing ? 127 : 1;
  }
  return result.status ?? 1;
}

async function main(): Promise<void> {
  // `npm run deploy -t app/s.yaml` without `--`: npm keeps -t and the file alone would have gone to `s deploy`,
  // deploying this repository's s.yaml.
  const chosen = templateOrUsage(process.argv.slice(2), USAGE, 'npm run deploy --', [], ': nothing was built or deployed');
  const project = scriptProject(chosen.given);
  const missing = await missingCredentials(project.template, process.env);
  if (missing !== undefined) {
    console.error(missing);
    process.exit(1);
  }
  // npm puts node_modules/.bin first on PATH for a script: `s` is this repository's dev dependency, else the user's own.
  const env = { ...process.env, PATH: [join(REPO_ROOT, 'node_modules', '.bin'), process.env.PATH].filter(Boolean).join(delimiter) };
  const template = project.own ? ['-t', project.template] : [];
  const tsx = (script: string, ...args: string[]) => step(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', script), ...args, ...template], REPO_ROOT, env);
  for (const run of [() => tsx('build.ts'), () => tsx('validate.ts', '--deploy'), () => step('s', ['deploy', '-y', ...template, ...chosen.rest], project.root, env)]) {
    const status = run();
    if (status !== 0) process.exit(status);
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
