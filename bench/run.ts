/**
 * `npm run bench [-- <name-filter>]` (`-- --help`: the benchmarks and their knobs): runs every `bench/*.bench.ts` in its own process (so one benchmark's
 * heap and threads do not colour the next), one after another, and lists the goals at the end.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { benchUsage } from './usage';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { relaunchExecArgv } = require('../scripts/local/launch.cjs') as { relaunchExecArgv: (execArgv: string[], env: NodeJS.ProcessEnv) => string[] | undefined };

const filter = process.argv[2];
if (filter === '--help' || filter === '-h') {
  process.stdout.write(benchUsage(__dirname));
  process.exit(0);
}
if (filter?.startsWith('-')) {
  // The only argument is a name filter: an option is a mistake, not a filter that matches nothing.
  process.stderr.write(`unknown option ${filter}\n\n${benchUsage(__dirname)}`);
  process.exit(2);
}
if (process.argv.length > 3) {
  // One filter: a second word (a second benchmark's name, a knob meant as an environment variable) was ignored (D149).
  process.stderr.write(`unknown argument ${process.argv[3]}: one name filter at most (knobs are environment variables)\n\n${benchUsage(__dirname)}`);
  process.exit(2);
}
const files = readdirSync(__dirname)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !filter || f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filter ?? '*'}`);
  process.exit(1);
}
let failed = 0;
for (const file of files) {
  console.log(`\n# ${file}`);
  // Each bench runs with the V8 flags `npm start` gives the local cloud (D113), so an in-process local cloud is
  // measured as users run it (D119 found the benches on V8's default GC); `LOCAL_V8_GC=parallel` measures without.
  const gcFlags = relaunchExecArgv([], process.env) ?? [];
  const run = spawnSync(process.execPath, [...gcFlags, '--import', 'tsx', join(__dirname, file)], { stdio: 'inherit', env: { ...process.env, LOG_LEVEL: 'silent' } });
  if (run.status !== 0) failed++;
}
console.log('\n# summary');
for (const file of files) {
  const result = join(__dirname, 'results', `${file.replace(/\.bench\.ts$/, '')}.json`);
  if (!existsSync(result)) continue;
  const parsed = JSON.parse(readFileSync(result, 'utf8')) as { name: string; goals: { name: string; measured: string; met: boolean }[] };
  for (const goal of parsed.goals) console.log(`${goal.met ? 'met   ' : 'MISSED'}  ${parsed.name}: ${goal.name} — ${goal.measured}`);
}
process.exit(failed > 0 ? 1 : 0);
