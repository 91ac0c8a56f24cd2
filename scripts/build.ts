/** `npm run build`: every function bundle (dist/<function>/) and the website (dist/website/). s.yaml's pre-deploy runs this. */
import { join } from 'node:path';
import { buildFunctions, bundledSpec } from './build/functions';
import { buildWebsite } from './build/website';
import { REPO_ROOT } from './local/cloud';
import { loadSpec } from './local/spec/load';

async function main(): Promise<void> {
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
