/** `npm run reset`: delete the local cloud's state (DATA_DIR, default .data). Stop `npm start` first. */
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from './local/cloud';
import { DataFolderInUse, lockDataFolder } from './local/data-lock';

const dir = resolve(process.env.DATA_DIR ?? resolve(REPO_ROOT, '.data'));
if (existsSync(dir)) {
  try {
    lockDataFolder(dir, { url: 'npm run reset' }).release();
  } catch (err) {
    if (!(err instanceof DataFolderInUse)) throw err;
    console.error(`a local cloud is running on ${dir} (${err.owner.url ?? 'unknown address'}, pid ${err.owner.pid ?? '?'}): stop it first (Ctrl-C in its terminal), then npm run reset`);
    process.exit(1);
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`removed ${dir}; the next npm start seeds the demo data again`);
