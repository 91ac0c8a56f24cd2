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
 * `-t <file>` (D160): a project of the user's own, as `npm start -- -t <file>` runs it — the same checks but those of
 * this repository's own code (its tables' contracts, its stage variables, its SDK adapters).
 */
import { projectFlagsOrUsage } from './cli-arguments';
import { SpecErrors } from './local/spec/errors';
import { loadSpec } from './local/spec/load';
import { scriptProject } from './local/template-option';
import { bundleProblems, renderingDifferences, renderingsFor, tableProblems } from './validate/checks';
import { bundleContentProblems, devOnlyDependencies } from './validate/platform/bundle-rules';
import { environmentProblems } from './validate/platform/environment';
import { platformFindingsAt } from './validate/platform/index';

const USAGE = `usage: npm run validate [-- [-t <file>] [--deploy]]
  checks s.yaml, infra/ros.yaml and the built bundles offline (no account, no network)
  -t, --template <file>  check your own Serverless Devs project instead (its yaml, its ROS template, its code folders)
  --deploy               also needs what a deploy needs: the account's values every ARN names (npm run deploy passes it)`;

/** The dev dependencies of the project's package.json (none without one): a bundle must not ship them. */
async function main(): Promise<void> {
  // Before anything runs: a mistyped --deploy must not pass as a check without it.
  const { given, flags } = projectFlagsOrUsage(process.argv.slice(2), ['--deploy'], USAGE, 'npm run validate --');
  const project = scriptProject(given);
  const problems: string[] = [];
  const { local: preview, localEnv, deploy } = await renderingsFor(project.root, process.env, project.own ? project.template : undefined);
  console.log(`✓ s preview rendered ${Object.keys(preview.resources).length} resources offline`);
  try {
    const spec = loadSpec(project.template, localEnv, { shownAs: project.shownAs });
    console.log(`✓ local cloud loader accepted ${spec.functions.length} functions, ${spec.routes.length} routes`);
    problems.push(...renderingDifferences(preview, spec), ...(project.own ? [] : tableProblems(spec)), ...bundleProblems(spec));
    problems.push(...bundleContentProblems(spec.functions, devOnlyDependencies(project.root)));
  } catch (err) {
    if (!(err instanceof SpecErrors)) throw err;
    problems.push(...err.errors.map((e) => e.message));
  }
  const platform = platformFindingsAt(deploy, project.root);
  problems.push(...platform.problems);
  // The stage variables and the placeholder account are this repository's s.yaml's; a project of its own names its own.
  if (!project.own) problems.push(...environmentProblems(process.env, flags.has('--deploy')));
  if (platform.manualSteps.length > 0) console.log(`Before the first deploy (the account answers these, not the files):\n${platform.manualSteps.map((s) => `  - ${s}`).join('\n')}`);
  if (problems.length > 0) {
    console.error(`✗ ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    process.exit(1);
  }
  console.log(`✓ ${project.shownAs} is valid`);
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
