/**
 * `npm run reset`: delete the local cloud's state (DATA_DIR, default .data; with `-- -t <file>`, that project's own
 * folder, D154). Stop `npm start` first.
 */
import { existsSync, rmSync } from 'node:fs';
import { dataDirFrom, DataFolderInUse, lockDataFolder, resetRefusal } from './local/data-lock';
import { chosenProject, npmTookTheFlag, projectDataDir, templateArgument, TemplateUsageError } from './local/template-option';

const USAGE = `usage: [DATA_DIR=<folder>] npm run reset [-- -t <your project's s.yaml>]
  deletes the local cloud's data folder: DATA_DIR, or .data, or with -t (--template) the data folder
  npm start -- -t <file> uses for that project; takes no other options`;

function refuse(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

if (process.argv.length === 3 && ['--help', '-h'].includes(process.argv[2]!)) {
  console.log(USAGE);
  process.exit(0);
}
/** The project `-t` names, if any; anything else is refused. */
function projectTemplate(): string | undefined {
  try {
    const { given, rest } = templateArgument(process.argv.slice(2));
    const swallowed = given === undefined ? npmTookTheFlag(rest, process.env, 'npm run reset --') : undefined;
    if (swallowed) refuse(`${swallowed}: nothing deleted`, 2);
    // An option here is a guess at one (`--data-dir x`, `--force`): deleting the default folder instead would lose the wrong data.
    if (rest.length > 0) refuse(`unknown argument ${rest[0]}: nothing deleted\n${USAGE}`, 2);
    // This repository's own s.yaml keeps its .data, as `npm start -- -t s.yaml` does.
    return chosenProject(given);
  } catch (err) {
    if (err instanceof TemplateUsageError) refuse(`${err.message}: nothing deleted\n${USAGE}`, 2);
    return refuse(`${(err as Error).message}: nothing deleted`);
  }
}

const template = projectTemplate();
const dir = template && !process.env.DATA_DIR ? projectDataDir(template) : dataDirFrom(process.env);
const next = template ? `the next npm start -- -t ${template} begins with no data` : 'the next npm start seeds the demo data';
if (!existsSync(dir)) {
  console.log(`${dir} does not exist: nothing to reset; ${next}`);
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
console.log(`removed ${dir}; ${template ? next : 'the next npm start seeds the demo data again'}`);
