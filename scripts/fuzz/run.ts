/**
 * `npm run fuzz -- --seed N --cases M [--seeds K] [--url http://127.0.0.1:9500]`: malformed requests against every
 * function route and emulator API, judged by the oracle (oracle.ts), with a summary per target and every finding
 * with the seed that reproduces it. Without `--url` it starts a local cloud of its own (PORT, DATA_DIR or a temp
 * folder) and stops it at the end. Exit 1 when anything was found.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../local/cloud';
import { prepareWorld, sweep } from './sweep';

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

function wholeNumber(name: string, fallback: number): number {
  const text = option(name, String(fallback));
  if (!/^\d+$/.test(text)) {
    console.error(`--${name} must be a whole number, not "${text}"`);
    process.exit(2);
  }
  return Number(text);
}

async function main(): Promise<void> {
  const seed = wholeNumber('seed', Date.now() % 100_000);
  const cases = wholeNumber('cases', 200);
  const seedCount = wholeNumber('seeds', 1);
  let url = option('url', '');
  let cloud: LocalCloud | undefined;
  let ownData: string | undefined;
  if (!url) {
    const dataDir = process.env.DATA_DIR ?? (ownData = mkdtempSync(join(tmpdir(), 'fuzz-data-')));
    cloud = await startLocalCloud({ port: Number(process.env.PORT ?? 0), dataDir, watch: false, prewarm: false });
    url = cloud.url;
  }
  try {
    const world = await prepareWorld(url);
    const seeds = Array.from({ length: seedCount }, (_, i) => seed + i);
    console.log(`fuzzing ${url}: seeds ${seeds.join(', ')}, ${cases} cases each`);
    let done = 0;
    const summary = await sweep(world, seeds, cases, (finding) => {
      done++;
      if (finding) console.log(`✗ seed ${finding.seed} #${finding.index} ${finding.target} — ${finding.variant}: ${finding.problems.join('; ')}`);
      else if (done % 50 === 0) console.log(`  ${done} cases`);
    });
    console.log(`\n${summary.cases} cases in ${(summary.ms / 1000).toFixed(1)} s`);
    for (const [target, t] of Object.entries(summary.byTarget).sort()) console.log(`  ${target.padEnd(48)} ${String(t.cases).padStart(5)} cases  ${String(t.refused).padStart(5)} refused  ${String(t.accepted).padStart(5)} 2xx`);
    console.log(`\n${summary.findings.length} finding(s)`);
    for (const f of summary.findings) console.log(`\n[seed ${f.seed} #${f.index}] ${f.target} — ${f.variant}\n  ${f.request}\n  → ${f.status}: ${f.body}\n  ${f.problems.join('\n  ')}`);
    process.exitCode = summary.findings.length > 0 ? 1 : 0;
  } finally {
    await cloud?.stop();
    if (ownData) rmSync(ownData, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(2);
});
