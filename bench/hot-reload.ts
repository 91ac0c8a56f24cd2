import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { LocalCloud, LocalCloudOptions } from '../scripts/local/cloud';

/**
 * Hot reload as a developer lives it (D169): with a local cloud started as `npm start` starts it (build, seed,
 * prewarm, watch), one function's source is saved and the time until that function answers with the new code is
 * measured, `--rounds` times. `--root` runs the local cloud of another checkout (its own scripts and sources), so
 * an older commit can be measured in the same run as a baseline: alternate the two, under the machine lock.
 * `--shared <file>` saves that module instead (an unused export appended: every bundle that includes it is
 * rebuilt, none changes) and measures the time until the rebuild reports.
 *
 * usage: flock /work/coord/machine.lock npx tsx bench/hot-reload.ts [--root <checkout>] [--rounds 4] [--port 9700] [--shared functions/_shared/errors.ts]
 */
const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1]! : fallback);
const root = resolve(arg('root', join(__dirname, '..')));
const rounds = Number(arg('rounds', '4'));
const port = Number(arg('port', '9700'));
const RESOURCE = 'product-shipping';
const shared = arg('shared', '');

/** The source with its handler wrapped: the event `probe` answers `answer`, anything else as before. */
function withProbe(source: string, answer: string): string {
  const edited = source.replace(/^export const handler = (.*);$/m, `const served = $1;\nexport const handler = (event: Buffer, context: never) => (String(event) === 'probe' ? ${JSON.stringify(answer)} : served(event, context));`);
  if (edited === source) throw new Error(`no "export const handler = …;" line in functions/${RESOURCE}/handler.ts`);
  return edited;
}

async function main(): Promise<void> {
  const { startLocalCloud } = (await import(join(root, 'scripts', 'local', 'cloud'))) as { startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> };
  const dataDir = `/tmp/hotreload-bench-${basename(root)}`;
  rmSync(dataDir, { recursive: true, force: true });
  const file = join(root, 'functions', RESOURCE, 'handler.ts');
  const original = readFileSync(file, 'utf8');
  const sharedOriginal = shared ? readFileSync(join(root, shared), 'utf8') : '';
  const reports: number[] = [];
  const cloud = await startLocalCloud({ root, port, dataDir, watch: true, env: {}, onReload: () => reports.push(Date.now()) });
  const name = cloud.spec.functions.find((fn) => fn.resource === RESOURCE)!.name;
  const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));
  const times: number[] = [];
  try {
    // Everything a start does in the background (the other stages, prewarm, the watch beginning) is over.
    await pause(15000);
    for (let round = 1; round <= rounds; round++) {
      const answer = `round ${round} of ${process.pid}`;
      const saved = Date.now();
      if (shared) {
        const seen = reports.length;
        writeFileSync(join(root, shared), `${sharedOriginal}\nexport const benchRound${round} = ${round};\n`);
        while (reports.length === seen) await pause(20);
        times.push(reports[seen]! - saved);
        await pause(3000);
        continue;
      }
      writeFileSync(file, withProbe(original, answer));
      for (;;) {
        const record = await cloud.invoke(name, 'probe');
        if (record.payload?.toString() === answer) break;
        await pause(50);
      }
      times.push(Date.now() - saved);
      await pause(3000);
    }
  } finally {
    writeFileSync(file, original);
    if (shared) writeFileSync(join(root, shared), sharedOriginal);
    await pause(3000);
    await cloud.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(shared ? { root, shared, saveToRebuildReportMs: times } : { root, function: RESOURCE, saveToNewAnswerMs: times }));
}

void main().then(() => process.exit(0), (err: Error) => {
  console.error(err);
  process.exit(1);
});
