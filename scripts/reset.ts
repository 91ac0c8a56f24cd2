/** `npm run reset`: delete the local cloud's state (DATA_DIR, default .data). Stop `npm start` first. */
import { existsSync, rmSync } from 'node:fs';
import { dataDirFrom, DataFolderInUse, lockDataFolder, resetRefusal } from './local/data-lock';

const USAGE = 'usage: [DATA_DIR=<folder>] npm run reset   (deletes the local cloud\'s data folder, default .data; takes no options)';

function refuse(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

if (process.argv.length === 3 && ['--help', '-h'].includes(process.argv[2]!)) {
  console.log(USAGE);
  process.exit(0);
}
// An option here is a guess at one (`--data-dir x`, `--force`): deleting the default folder instead would lose the wrong data.
if (process.argv.length > 2) refuse(`unknown argument ${process.argv[2]}: nothing deleted\n${USAGE}`, 2);
const dir = dataDirFrom(process.env);
if (!existsSync(dir)) {
  console.log(`${dir} does not exist: nothing to reset; the next npm start seeds the demo data`);
  process.exit(0);
}
const refusal = resetRefusal(dir);
if (refusal) refuse(refusal);
try {
  lockDataFolder(dir, { url: 'npm run reset' }).release();
} catch (err) {
  if (!(err instanceof DataFolderInUse)) throw err;
  refuse(`a local cloud is running on ${dir} (${err.owner.url ?? 'unknown address'}, pid ${err.owner.pid ?? '?'}): stop it first (Ctrl-C in its terminal), then npm run reset`);
}
try {
  rmSync(dir, { recursive: true, force: true });
} catch (err) {
  refuse(`could not delete all of ${dir}: ${(err as Error).message}. Delete what is left by hand, then npm start`);
}
console.log(`removed ${dir}; the next npm start seeds the demo data again`);
