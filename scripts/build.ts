/** `npm run build`: every function bundle (dist/<function>/) and the website (dist/website/). s.yaml's pre-deploy runs this. */
import { join } from 'node:path';
import { buildFunctions, bundledSpec } from './build/functions';
import { buildWebsite } from './build/website';
import { flagsOrUsage } from './cli-arguments';
import { REPO_ROOT } from './local/cloud';
import { loadSpec } from './local/spec/load';

const USAGE = `usage: npm run build
  bundles every function into dist/<function>/ and the website into dist/website/; takes no arguments
  (npm start builds and watches on its own)`;

async function main(): Promise<void> {
  flagsOrUsage(process.argv.slice(2), [], USAGE);
  const spec = loadSpec(join(REPO_ROOT, 's.yaml'));
  // A function without functions/<resource>/handler.ts deploys its code folder as it is: nothing to bundle.
  const [functions, website] = await Promise.all([buildFunctions(bundledSpec(spec)), buildWebsite(REPO_ROOT)]);
  for (const fn of functions.functions) console.log(`  dist/${fn.resource}/index.js  ${(fn.bytes / 1024).toFixed(0)} KB`);
  console.log(`built ${functions.functions.length} functions in ${functions.ms} ms, website in ${website.ms} ms`);
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exit(1);
});
