import { cpSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../scripts/local/paths';

/**
 * Copies a fixture app (test/fixtures/apps/<name>) to `dest`, with the repository's `node_modules` linked beside
 * it, as a user's app has its SDKs installed (the runtime fixture's `fx-ossuser` bundles ali-oss).
 * @example copyFixtureApp('runtime', join(dir.path, 'app'));
 */
export function copyFixtureApp(name: string, dest: string): void {
  cpSync(join(REPO_ROOT, 'test', 'fixtures', 'apps', name), dest, { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dest, 'node_modules'));
}
