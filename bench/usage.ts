/**
 * `npm run bench -- --help`: the benchmarks `run.ts` would run and the environment variables they read. Both
 * lists come from the files themselves (a benchmark's first doc-comment sentence; `process.env.X` in it and the
 * bench modules it imports), so a new benchmark or knob shows up without editing this file — only a knob's
 * one-line meaning is written here, and a unit test fails when one is missing.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** What each knob does; `run.ts` passes the environment through to every benchmark. */
export const KNOB_HELP: Record<string, string> = {
  BENCH_ROUNDS: 'rounds per measurement (each benchmark has its own default)',
  BENCH_SECONDS: 'seconds per load level under autocannon',
  BENCH_LEVELS: 'connection counts to load with, comma-separated (e.g. 8,32)',
  BENCH_KINDS: 'which start kinds to time, comma-separated (the bare-node baseline always runs)',
  BENCH_ROUTES: 'only these routes, comma-separated route names',
  BENCH_PRODUCTS_PER_LEVEL: 'products seeded per load level (uncached pages)',
  BENCH_PROFILE: 'a folder: write a CPU profile of the main thread per measured load',
  BENCH_ENGINES: 'image engines to measure, comma-separated (sharp, jimp)',
  V8_FLAGS: "V8 flags set in the bench's process before the local cloud starts (compare a flag's effect)",
  BENCH_IOT_SIMULATOR: "`in-process` runs the device simulator on the local cloud's main thread instead of its own process",
  BENCH_IOT_ONLY_INGEST: 'set: measure only the sustained ingest (end to end)',
  BENCH_WATCH: '`1`: every placed order is followed by its page\'s long polls, as the website does (checkout-surge)',
  BENCH_HELD_PAGES: 'pages of orders held at their payment kept long-polling through each load (checkout-surge)',
  BENCH_SERIES_SIM_HOURS: "hours of the simulator-rate device's readings to store",
  BENCH_SERIES_ALERTS: "the fleet's alerts in a day",
  BENCH_IDLE_S: 'seconds the local cloud idles before and after each load, before its RSS is read (mixed-load)',
  BENCH_WARMUP_S: 'seconds of untimed load before the measured one (mixed-load)',
  BENCH_SHOPPERS: 'shoppers checking out at once, each long-polling its order to its end (mixed-load)',
  BENCH_DEVICES: 'IoT devices posting signed batches (mixed-load)',
  BENCH_IOT_RATE: 'readings per second over all devices (mixed-load)',
  BENCH_PHOTOGRAPHERS: 'uploaders at once, each waiting for its photo to be ready and searchable (mixed-load)',
  BENCH_UNCACHED_RPS: 'uncached product pages per second (mixed-load)',
  BENCH_CACHED_CONNECTIONS: 'autocannon connections asking for cached product pages (mixed-load)',
  BENCH_URL: 'a local cloud you started yourself (`PORT=… npm start`) instead of one the benchmark starts (mixed-load)',
  BENCH_PID: "with BENCH_URL: the launcher's pid, whose process tree's RSS is read (mixed-load)",
  BENCH_PORT: 'the first of the six ports the started local cloud uses (mixed-load; default: a free block)',
  BENCH_NAME: 'the results file name instead of the benchmark\'s (mixed-load: keep a run beside the default one)',
  BENCH_SERIES_SAMPLES: 'requests timed per case (the p50 is reported)',
};

/** Variables every process has, not knobs. */
const AMBIENT = new Set(['LOG_LEVEL', 'TMPDIR', 'HOME', 'PATH']);

export const benchFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
export const benchName = (file: string) => file.replace(/\.bench\.ts$/, '');

/** Each knob read by a benchmark (or a bench module it imports), with the benchmarks that read it. */
export function benchEnvKnobs(dir: string): Map<string, string[]> {
  const knobs = new Map<string, string[]>();
  for (const file of benchFiles(dir)) {
    for (const name of envReadBy(dir, file, new Set())) {
      if (!AMBIENT.has(name)) knobs.set(name, [...(knobs.get(name) ?? []), benchName(file)]);
    }
  }
  return knobs;
}

function envReadBy(dir: string, file: string, seen: Set<string>): Set<string> {
  const names = new Set<string>();
  if (seen.has(file) || !existsSync(join(dir, file))) return names;
  seen.add(file);
  const text = readFileSync(join(dir, file), 'utf8');
  for (const m of text.matchAll(/process\.env\.([A-Z][A-Z0-9_]*)/g)) names.add(m[1]!);
  for (const m of text.matchAll(/from '\.\/([\w-]+)'/g)) for (const name of envReadBy(dir, `${m[1]}.ts`, seen)) names.add(name);
  return names;
}

/** A benchmark's first sentence, from its leading doc comment. */
function summary(dir: string, file: string): string {
  const comment = /^\/\*\*([\s\S]*?)\*\//.exec(readFileSync(join(dir, file), 'utf8'))?.[1] ?? '';
  const text = comment.split('\n').map((line) => line.replace(/^\s*\*\s?/, '').trim()).join(' ').trim();
  const sentence = /^(.*?)(?::\s|\.\s|:$|\.$|$)/.exec(text)?.[1] ?? text;
  return sentence.length > 96 ? `${sentence.slice(0, 95)}…` : sentence;
}

export function benchUsage(dir: string): string {
  const files = benchFiles(dir);
  const width = Math.max(...files.map((f) => benchName(f).length));
  const knobs = benchEnvKnobs(dir);
  const knobWidth = Math.max(...[...knobs.keys()].map((k) => k.length));
  return [
    'usage: npm run bench [-- <name-filter>]',
    '',
    'Runs every benchmark whose file name contains <name-filter> (all without one), each in its own process, one',
    'after another; writes bench/results/<name>.json and lists the goals at the end. Measure alone on a shared',
    'machine (see bench/README.md).',
    '',
    'Benchmarks:',
    ...files.map((f) => `  ${benchName(f).padEnd(width)}  ${summary(dir, f)}`),
    '',
    'Environment:',
    ...[...knobs].sort(([a], [b]) => a.localeCompare(b)).map(([knob, readers]) => `  ${knob.padEnd(knobWidth)}  ${KNOB_HELP[knob] ?? '(not described)'} [${readers.join(', ')}]`),
    '',
  ].join('\n');
}
