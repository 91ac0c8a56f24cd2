'use strict';
/**
 * `npm start`: runs the local cloud from a prebuilt JavaScript bundle instead of compiling TypeScript at
 * run time (tsx is for development tools only; docs/decisions.md D32).
 *
 * The bundle (`node_modules/.cache/fc-local/start.js`, with the instance worker, the TableStore emulator's thread
 * and the bundle loader beside it) is built here
 * with esbuild when it is missing or any of its inputs changed since it was built — the stamp lists every
 * source file esbuild read, with size and mtime, plus the lockfile — so a developer who edits the local
 * cloud gets it rebuilt on the next start (~0.3 s), and everyone else starts from the bundle at once.
 * Plain CommonJS on purpose: this file must run before anything is compiled.
 */
const { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { join, relative, resolve } = require('node:path');

const root = resolve(__dirname, '..', '..');
const outDir = join(root, 'node_modules', '.cache', 'fc-local');
const bundle = join(outDir, 'start.js');
const stampFile = join(outDir, 'start.stamp.json');

/** Files whose change must rebuild the bundle besides esbuild's own inputs: this launcher and the dependencies. */
const EXTRA_INPUTS = [__filename, join(root, 'package-lock.json'), join(root, 'tsconfig.json')];

function signature(file) {
  try {
    const { size, mtimeMs } = statSync(file);
    return `${size}:${mtimeMs}`;
  } catch {
    return 'missing';
  }
}

function isFresh() {
  if (!['start.js', 'instance-worker.js', 'tablestore-worker.js', 'bundle-loader.js', 'standby-instances.js'].every((file) => existsSync(join(outDir, file)))) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    if (stamp.node !== process.version) return false;
    return Object.entries(stamp.inputs).every(([file, sig]) => signature(join(root, file)) === sig);
  } catch {
    return false;
  }
}

/**
 * V8 options the local cloud runs with (D113). `--single-threaded-gc`: each isolate — the main thread's (gateway,
 * emulators) and every function instance's — collects its garbage on its own thread, instead of handing scavenges
 * and marking to V8's platform threads, which wake for every GC of ~15 isolates on a machine whose cores those
 * isolates already keep busy. Measured: more pages per second and lower p99 at the same or shorter main-thread GC
 * pauses, no page degraded. V8 takes it only from node's command line (set at run time V8 aborts; worker threads
 * refuse it), so `npm start` passes it (package.json) and a launcher started without it starts itself again with
 * it. `LOCAL_V8_GC=parallel` turns it off (the launcher then starts itself again without it).
 */
const GC_FLAGS = ['--single-threaded-gc'];

/** The GC flags wanted for this environment. */
function wantedGcFlags(env) {
  return env.LOCAL_V8_GC === 'parallel' ? [] : GC_FLAGS;
}

/** node's options to start the local cloud again with, or undefined when this process already has the wanted ones. */
function relaunchExecArgv(execArgv, env) {
  const wanted = wantedGcFlags(env);
  if (GC_FLAGS.every((flag) => execArgv.includes(flag) === wanted.includes(flag))) return undefined;
  return [...execArgv.filter((arg) => !GC_FLAGS.includes(arg)), ...wanted];
}

/**
 * Runs the launcher again in a child node with `execArgv`, as a stand-in for this process: same terminal, signals
 * passed on (a Ctrl-C reaches both; the local cloud's stop is idempotent), and this process ends as the child did.
 */
function relaunch(execArgv) {
  const { spawn } = require('node:child_process');
  const child = spawn(process.execPath, [...execArgv, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  const pass = (signal) => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, pass);
  child.on('exit', (code, signal) => {
    if (!signal) process.exit(code ?? 1);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
}

/** Options shared with `test/unit/launch.test.ts`, which checks that the bundle builds and starts. */
function buildOptions() {
  return {
    absWorkingDir: root,
    entryPoints: {
      start: join(root, 'scripts', 'local', 'start.ts'),
      'instance-worker': join(root, 'scripts', 'local', 'runtime', 'instance-worker.ts'),
      'bundle-loader': join(root, 'scripts', 'local', 'runtime', 'bundle-loader.ts'),
      // The TableStore emulator's own thread (D85).
      'tablestore-worker': join(root, 'scripts', 'local', 'emulators', 'tablestore', 'thread-worker.ts'),
      'standby-instances': join(root, 'scripts', 'local', 'runtime', 'standby-instances.ts'),
    },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // Native addons and esbuild's own binary stay in node_modules, and so does jimp (the OSS emulator's
    // x-oss-process engine, loaded on first use: bundling its 30 plugins tripled the build of this script);
    // everything else is one file to load.
    external: ['better-sqlite3', 'esbuild', 'sharp', 'fsevents', 'jimp', '@jimp/*'],
    // No dynamic import() left (it becomes require): a code-cached script cannot run one on Node 20 (D30).
    supported: { 'dynamic-import': false },
    define: { FC_LOCAL_BUNDLED: 'true' },
    // Every non-ASCII character in code escaped (esbuild's default, stated: `asciiOnly` relies on it).
    charset: 'ascii',
    keepNames: true,
    tsconfig: join(root, 'tsconfig.json'),
    metafile: true,
    write: false,
    logLevel: 'silent',
  };
}

async function build() {
  const esbuild = require('esbuild');
  const started = Date.now();
  // Inputs are stamped as they were when the build began: a file saved during the build rebuilds next time.
  const result = await esbuild.build(buildOptions());
  const inputs = {};
  for (const file of [...Object.keys(result.metafile.inputs).filter((f) => !f.includes('node_modules/')).map((f) => join(root, f)), ...EXTRA_INPUTS]) {
    inputs[relative(root, file)] = signature(file);
  }
  mkdirSync(outDir, { recursive: true });
  // Temp file + rename, stamp last: a start running beside this one loads a whole old or new bundle.
  for (const file of result.outputFiles) {
    const temp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temp, asciiOnly(file.contents));
    renameSync(temp, file.path);
  }
  const temp = `${stampFile}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify({ node: process.version, builtAt: new Date().toISOString(), inputs })}\n`);
  renameSync(temp, stampFile);
  return Date.now() - started;
}

/**
 * The script as pure ASCII. esbuild escapes every non-ASCII character in code (`charset: 'ascii'`) but keeps the
 * comments of what it bundles as they are (the tablestore SDK's are in Chinese, ours have dashes), and one such
 * character made the whole 4 MB start script a two-byte string: decoded from UTF-8 at every start (~10 ms of the
 * main thread before anything else can run) and held at twice the size. Escaped, a comment says the same, and the
 * loader reads the file as Latin-1 (bundle-loader.ts `readSource`, D118).
 */
function asciiOnly(contents) {
  if (require('node:buffer').isAscii(contents)) return contents;
  const text = Buffer.from(contents).toString('utf8');
  return Buffer.from(text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`), 'latin1');
}

/** `FC_LOCAL_TRACE=1`: the phases of a start on stderr (scripts/local/trace.ts; D43). */
function traceMark(phase) {
  if (process.env.FC_LOCAL_TRACE !== '1') return;
  const { user, system } = process.cpuUsage();
  process.stderr.write(`[trace] ${performance.now().toFixed(0).padStart(6)} cpu ${((user + system) / 1000).toFixed(0).padStart(5)} ${phase}\n`);
}

async function main() {
  const execArgv = relaunchExecArgv(process.execArgv, process.env);
  if (execArgv) return relaunch(execArgv);
  traceMark(`launcher running, node options: ${process.execArgv.join(' ') || 'none'}`);
  if (!isFresh()) {
    const ms = await build();
    traceMark('start script built');
    if (process.env.FC_LOCAL_QUIET !== '1') console.log(`[local cloud] built its start script in ${ms} ms`);
  }
  // The standby plan is this repository's first call tree: a project of the user's own (`-t`, D154) has other functions.
  if (!ownTemplateAsked(process.argv.slice(2))) startStandbyInstances();
  // Loaded with a V8 code cache, as function instances load their bundles (D30): compiling 1.5 MB of
  // JavaScript is most of what is left of starting it. The cache is saved again once the first page has been
  // answered (or the cloud is ready, if no request came first), so it also holds the code start-up ran: saved
  // only at ready, a start stopped after its first page (the startup bench's, a user's quick look) left a cache
  // without it, and every such start compiled its whole start-up path lazily again (D103).
  traceMark('loading the start script');
  const started = loadStartScript();
  const saveCodeCache = () => {
    process.off('fc-local:first-answered', saveCodeCache);
    process.off('fc-local:ready', saveCodeCache);
    started.saveCodeCache();
    traceMark('first page answered: start script code cache holds start-up');
  };
  process.once('fc-local:first-answered', saveCodeCache);
  process.once('fc-local:ready', saveCodeCache);
  started.exports.run();
}

/** `-t <file>`, `-t<file>`, `--template <file>` or `--template=<file>` (the start script reads which: template-option.ts). */
function ownTemplateAsked(argv) {
  return argv.some((arg) => arg === '-t' || arg === '--template' || arg.startsWith('--template=') || /^-t[^-]/.test(arg));
}

/**
 * The first call tree's instance threads start now, beside the loading of the start script, from the plan the
 * previous start left: each boots Node and compiles its bundle, and becomes its function's instance once the
 * local cloud starts that function (scripts/local/runtime/standby-instances.ts, D87).
 */
function startStandbyInstances() {
  const plan = join(outDir, 'standby-plan.json');
  if (!existsSync(plan)) return;
  const standby = require(join(outDir, 'standby-instances.js'));
  const found = standby.readStandbyPlan(plan);
  if (!found) return;
  standby.startStandbyInstances(found, join(outDir, 'instance-worker.js'), join(outDir, 'code-cache'));
  traceMark(`standby instance threads starting: ${found.instances.length}`);
}

function loadStartScript() {
  const { loadBundle } = require(join(outDir, 'bundle-loader.js'));
  return loadBundle(bundle, join(outDir, 'code-cache'), { noDynamicImport: true });
}

/**
 * `npm install` runs this (the `prepare` script, D43), so the first `npm start` after a clone finds its start
 * script built, with a code cache of its loading, and s.yaml read. A failure here never fails the install:
 * `npm start` builds whatever is missing and reports the error itself.
 */
async function prepare() {
  try {
    const started = Date.now();
    if (!isFresh()) await build();
    // The cache written by this load holds the script's top-level code; the first start adds what it runs.
    loadStartScript().exports.prepare();
    console.log(`[local cloud] start script prepared in ${Date.now() - started} ms`);
  } catch (err) {
    console.warn(`[local cloud] could not prepare the start script (npm start will build it): ${err && err.message ? err.message : err}`);
  }
}

module.exports = { buildOptions, isFresh, build, prepare, GC_FLAGS, relaunchExecArgv, ownTemplateAsked };

if (require.main === module && process.argv.includes('--prepare')) {
  void prepare();
} else if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
