/**
 * `npm run validate`: check s.yaml offline before a deploy.
 * 1. Serverless Devs' own renderer (`s preview -o json`) renders it without network or credentials;
 * 2. the local cloud's loader renders it identically and accepts every key (fc3 schema constraints,
 *    triggers, routes, destinations, buckets and tables declared);
 * 3. every function has a built bundle exporting its handler (after `npm run build`), and the
 *    TableStore tables in infra/ros.yaml match the schemas the code uses;
 * 4. the platform's own rules (D141): FC's limits on functions and triggers, ROS's resource types and
 *    properties, the roles' permissions, what each bundle ships; and what only the account can answer, listed.
 * `--deploy` (npm run deploy) also needs the real account: every ARN s.yaml renders names it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { flagsOrUsage } from './cli-arguments';
import { REPO_ROOT } from './local/cloud';
import { SpecErrors } from './local/spec/errors';
import { loadSpec } from './local/spec/load';
import { bundleProblems, renderingDifferences, renderingsFor, tableProblems } from './validate/checks';
import { bundleContentProblems } from './validate/platform/bundle-rules';
import { environmentProblems } from './validate/platform/environment';
import { platformFindingsAt } from './validate/platform/index';

const USAGE = `usage: npm run validate [-- --deploy]
  checks s.yaml, infra/ros.yaml and the built bundles offline (no account, no network)
  --deploy   also needs what a deploy needs: the account's values every ARN names (npm run deploy passes it)`;

async function main(): Promise<void> {
  // Before anything runs: a mistyped --deploy must not pass as a check without it.
  const flags = flagsOrUsage(process.argv.slice(2), ['--deploy'], USAGE);
  const problems: string[] = [];
  const { local: preview, localEnv, deploy } = await renderingsFor(REPO_ROOT, process.env);
  console.log(`✓ s preview rendered ${Object.keys(preview.resources).length} resources offline`);
  try {
    const spec = loadSpec(join(REPO_ROOT, 's.yaml'), localEnv);
    console.log(`✓ local cloud loader accepted ${spec.functions.length} functions, ${spec.routes.length} routes`);
    problems.push(...renderingDifferences(preview, spec), ...tableProblems(spec), ...bundleProblems(spec));
    const devDependencies = Object.keys((JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { devDependencies?: object }).devDependencies ?? {});
    problems.push(...bundleContentProblems(spec.functions, devDependencies));
  } catch (err) {
    if (!(err instanceof SpecErrors)) throw err;
    problems.push(...err.errors.map((e) => e.message));
  }
  const platform = platformFindingsAt(deploy, REPO_ROOT);
  problems.push(...platform.problems, ...environmentProblems(process.env, flags.has('--deploy')));
  if (platform.manualSteps.length > 0) console.log(`Before the first deploy (the account answers these, not the files):\n${platform.manualSteps.map((s) => `  - ${s}`).join('\n')}`);
  if (problems.length > 0) {
    console.error(`✗ ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log('✓ s.yaml is valid');
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
