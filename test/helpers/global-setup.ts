import { join } from 'node:path';
import { staleFunctions } from '../../scripts/build/fingerprint';
import { buildFunctions } from '../../scripts/build/functions';
import { buildWebsite } from '../../scripts/build/website';
import { REPO_ROOT } from '../../scripts/local/paths';
import { loadSpec } from '../../scripts/local/spec/load';

/**
 * Jest's global setup: build the function bundles and the website once, before any test file starts a local
 * cloud (docs/decisions.md D65). Otherwise, on a fresh clone (CI), the first test file of each jest worker
 * built every function inside its `beforeAll` — both workers at once, on two cores shared with everything
 * else — and under load that first start ran past the hook's time limit (the image pipeline's `beforeAll`
 * failed so in this session's CI check). Tests that are about the first build use their own copy of the
 * repository and still build there.
 */
export default async function buildOnce(): Promise<void> {
  const spec = loadSpec(join(REPO_ROOT, 's.yaml'));
  const stale = staleFunctions(spec);
  await Promise.all([stale.length > 0 ? buildFunctions(spec, stale) : undefined, buildWebsite(REPO_ROOT, undefined, { reuse: true })]);
}
