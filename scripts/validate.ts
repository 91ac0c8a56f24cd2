/**
 * `npm run validate`: check s.yaml offline before a deploy.
 * 1. Serverless Devs' own renderer (`s preview -o json`) renders it without network or credentials;
 * 2. the local cloud's loader renders it identically and accepts every key (fc3 schema constraints,
 *    triggers, routes, destinations, buckets and tables declared);
 * 3. every function has a built bundle exporting its handler (after `npm run build`), and the
 *    TableStore tables in infra/ros.yaml match the schemas the code uses.
 */
import { join } from 'node:path';
import { REPO_ROOT } from './local/cloud';
import { SpecErrors } from './local/spec/errors';
import { loadSpec } from './local/spec/load';
import { bundleProblems, previewWithServerlessDevs, renderingDifferences, tableProblems } from './validate/checks';

async function main(): Promise<void> {
  const problems: string[] = [];
  const preview = await previewWithServerlessDevs(REPO_ROOT, process.env);
  console.log(`✓ s preview rendered ${Object.keys(preview.resources).length} resources offline`);
  try {
    const spec = loadSpec(join(REPO_ROOT, 's.yaml'));
    console.log(`✓ local cloud loader accepted ${spec.functions.length} functions, ${spec.routes.length} routes`);
    problems.push(...renderingDifferences(preview, spec), ...tableProblems(spec), ...bundleProblems(spec));
  } catch (err) {
    if (!(err instanceof SpecErrors)) throw err;
    problems.push(...err.errors.map((e) => e.message));
  }
  if (process.env.STAGE && process.env.STAGE !== 'dev' && !process.env.JWT_SECRET) problems.push(`JWT_SECRET must be set for stage ${process.env.STAGE} (the default is for local use only)`);
  if (process.env.STAGE && process.env.STAGE !== 'dev' && (process.env.IOT_SECRET_KEY ?? '').length < 32) {
    problems.push(`IOT_SECRET_KEY (at least 32 characters) must be set for stage ${process.env.STAGE}: it seals the device secrets (the default is for local use only)`);
  }
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
