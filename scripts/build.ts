/**
 * `npm run build`: every function bundle (dist/<function>/) and the website (dist/website/). s.yaml's pre-deploy runs this.
 * `-t <file>` (D160): a project of the user's own, as `npm start -- -t <file>` builds it — the functions with a
 * TypeScript source at functions/<resource>/handler.ts beside its yaml, and its website/ if it has one.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildFunctions, bundledSpec } from './build/functions';
import { buildWebsite } from './build/website';
import { projectFlagsOrUsage } from './cli-arguments';
import { loadSpec } from './local/spec/load';
import { scriptProject } from './local/template-option';

const USAGE = `usage: npm run build [-- -t <file>]
  bundles every function into dist/<function>/ and the website into dist/website/
  (npm start builds and watches on its own)
  -t, --template <file>  build your own Serverless Devs project instead: functions/<resource>/handler.ts beside its yaml`;

async function main(): Promise<void> {
  const { given } = projectFlagsOrUsage(process.argv.slice(2), [], USAGE, 'npm run build --');
  const project = scriptProject(given);
  const spec = loadSpec(project.template, process.env, { shownAs: project.shownAs });
  // A function without functions/<resource>/handler.ts deploys its code folder as it is: nothing to bundle.
  const bundled = bundledSpec(spec);
  // As npm start does (startup.ts): a project without website/src/main.ts has no website to build.
  const hasWebsite = existsSync(join(project.root, 'website', 'src', 'main.ts'));
  const [functions, website] = await Promise.all([
    bundled.functions.length > 0 ? buildFunctions(bundled) : undefined,
    hasWebsite ? buildWebsite(project.root) : undefined,
  ]);
  for (const fn of functions?.functions ?? []) console.log(`  dist/${fn.resource}/index.js  ${(fn.bytes / 1024).toFixed(0)} KB`);
  const asIs = spec.functions.length - bundled.functions.length;
  console.log(
    `built ${functions?.functions.length ?? 0} functions${functions ? ` in ${functions.ms} ms` : ''}` +
      (asIs > 0 ? ` (${asIs} deployed from their code folders as they are)` : '') +
      (website ? `, website in ${website.ms} ms` : ', no website (no website/src/main.ts)'),
  );
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
