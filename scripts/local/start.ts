/**
 * `npm start`: the whole suite on one machine. PORT and DATA_DIR choose the port (default 9000) and the
 * state folder (default .data); the OSS emulator listens on OSS_PORT (default PORT + 1), the TableStore
 * emulator on TABLESTORE_PORT (default PORT + 2), the MNS emulator on MNS_PORT (default PORT + 3), the FnF
 * (CloudFlow) API on FNF_PORT (default PORT + 4); hot reload is on. `-t <file>` runs a project of the user's own
 * instead of this repository's s.yaml (D154).
 * Ctrl-C stops it cleanly.
 */
import { join } from 'node:path';
import { refuseUsage } from '../cli-arguments';
import { startLocalCloud, type LocalCloud } from './cloud';
import { noRoleLines } from './ram/no-role';
import type { FunctionSpec } from './spec/model';
import { LOCAL_CACHE_DIR, REPO_ROOT } from './paths';
import { discardStandbyInstances, writeStandbyPlan, type StandbyPlan } from './runtime/standby-instances';
import { runsAsProcess } from './runtime/process-instance';
import { bundleFileOf } from './runtime/worker-script';
import { loadSpec } from './spec/load';
import { startSettingsFrom } from './start-options';
import { chosenProject, npmTookTheFlag, projectDataDir, shownTemplate, templateArgument, TemplateUsageError } from './template-option';
import { backgroundBuildsLine, bundlesStillBuilding, createLogPrinter, formatBanner, printFailures, startFailureText } from './terminal';
import { traceMark } from './trace';

/** The ready line is out: a failure from then on (a bundle building in the background) stops a cloud that answered. */
let readyShown = false;

/**
 * A stop asked for while the cloud starts (Ctrl-C, SIGTERM): exit as the signal would have ended it, but from JavaScript,
 * so work in progress on this thread finishes first — the start script's code cache being written after the first
 * page (launch.cjs) is then never cut in half, and the next start finds it (D103). Replaced by the graceful stop once
 * the cloud is up.
 */
const exitWhileStarting = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);

async function main(given: string | undefined): Promise<void> {
  traceMark('start script running');
  process.once('SIGINT', exitWhileStarting);
  process.once('SIGTERM', exitWhileStarting);
  // From the process start, so the banner's time includes node, the launcher and loading this script.
  const started = performance.timeOrigin;
  const printLog = createLogPrinter();
  // A project of the user's own (-t): its file, and its own data folder unless DATA_DIR says otherwise (D154).
  // `-t s.yaml` in this repository is this repository's start, with its .data, its standby plan and its banner.
  const template = chosenProject(given);
  const settings = startSettingsFrom(process.env);
  if (template && !process.env.DATA_DIR) settings.dataDir = projectDataDir(template);
  // The ready line is printed as soon as the local cloud answers (D169): on a first start after a clone, seconds before
  // the bundles nobody has asked for yet are built, which a line of their own reports.
  let buildingAtReady = false;
  const showReady = (cloud: LocalCloud) => {
    if (readyShown) return;
    readyShown = true;
    buildingAtReady = bundlesStillBuilding(cloud);
    console.log(formatBanner(cloud, Math.round(Date.now() - started), template ? shownTemplate(template) : undefined));
    stopGracefullyFromNowOn(cloud);
  };
  const cloud = await startLocalCloud({
    ...settings,
    ...(template ? { template } : {}),
    watch: process.env.WATCH !== '0',
    // The launcher saves the start script's code cache now, with the code start-up and the first page ran (D103).
    onFirstAnswered: () => process.emit('fc-local:first-answered' as never),
    onFirstPartWarm: (functions) => {
      // The next start's launcher starts these instance threads before it loads this script (D87); unused ones end now.
      // Only for this repository's s.yaml: the launcher starts them before it knows which project runs, and a user
      // project's plan would have the next plain `npm start` boot threads for functions it does not have.
      if (!template) writeStandbyPlan(join(LOCAL_CACHE_DIR, 'standby-plan.json'), standbyPlan(functions));
      void discardStandbyInstances();
    },
    onLog: (fn, text) => process.stdout.write(printLog(fn.resource, text)),
    onReload: (changed, error) => {
      if (error) console.error(`\n[reload] build failed, keeping the previous bundles:\n${error.message}\n`);
      else if (changed.length > 0) console.log(`[reload] ${changed.join(', ')} changed; new instances will run the new code`);
    },
    onServing: showReady,
  });
  showReady(cloud);
  if (buildingAtReady) console.log(backgroundBuildsLine(cloud, Math.round(Date.now() - started)));
  // After the banner: the search of code folders is not worth delaying ready for (D157).
  for (const line of noRoleLines(cloud.spec.functions)) console.log(line);
  printFailures(cloud.runtime, (line) => process.stdout.write(line));
  // The launcher saves the start script's code cache now, unless the first page already had it saved (launch.cjs).
  process.emit('fc-local:ready' as never);
}

/** From the ready line on, a signal stops the local cloud gracefully (before it, `exitWhileStarting`). */
function stopGracefullyFromNowOn(cloud: LocalCloud): void {
  // Once, however many signals come: a Ctrl-C reaches both a relaunching launcher and this process, which the
  // launcher passes on (launch.cjs, D113).
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      console.log('\nstopping…');
      await cloud.stop();
      process.exit(0);
    })());
  process.off('SIGINT', exitWhileStarting);
  process.off('SIGTERM', exitWhileStarting);
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

/** The instances a start warms first, as the next start's standby threads (bundles only: code folders run as they are). */
function standbyPlan(functions: FunctionSpec[]): StandbyPlan {
  const instances: StandbyPlan['instances'] = [];
  for (const fn of functions) {
    // A custom runtime's or a Python function's instance is a process of its own, not a thread of a bundle.
    if (runsAsProcess(fn)) continue;
    try {
      instances.push({ bundleFile: bundleFileOf(fn.codeDir, fn.handler), memorySizeMb: fn.memorySize });
    } catch {
      // no bundle to compile ahead
    }
  }
  return { instances };
}

/**
 * What `npm install` prepares for the first start (`launch.cjs --prepare`, D43): s.yaml and the ROS template
 * read once, so their parsed form is in the cache. A spec with errors is left for `npm start` to report.
 */
export function prepare(): void {
  try {
    loadSpec(join(REPO_ROOT, 's.yaml'));
  } catch {
    // reported by the start, with every problem named
  }
}

const USAGE = `usage: [PORT=9000] [DATA_DIR=.data] [WATCH=0] npm start [-- -t <your project's s.yaml>]
  -t, --template <file>   run your own Serverless Devs project (edition 3.0.0, fc3) instead of this repository's
                          s.yaml: code paths and its ROS template resolve from that file's folder; state in a data
                          folder of its own (.data-projects/<folder>-<hash>, or DATA_DIR). A folder means its s.yaml
  Everything else comes from the environment, not from arguments:
  PORT       the gateway's port (default 9000); OSS, TableStore, MNS and CloudFlow take the next four
             (or OSS_PORT, TABLESTORE_PORT, MNS_PORT, FNF_PORT); PORT=0 picks free ports
  DATA_DIR   the folder the local cloud keeps its state in (default .data; npm run reset empties it)
  WATCH=0    no hot reload of saved function code`;

/** The template option, or the usage refused with exit 2 (`npm start -- --port 9100` was ignored before D149). */
function commandLine(argv: string[]): string | undefined {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  try {
    const { given, rest } = templateArgument(argv);
    const swallowed = given === undefined ? npmTookTheFlag(rest, process.env) : undefined;
    if (swallowed) refuseUsage(swallowed, USAGE);
    if (rest.length > 0) refuseUsage(`unknown argument ${rest[0]}`, USAGE);
    return given;
  } catch (err) {
    if (err instanceof TemplateUsageError) refuseUsage(err.message, USAGE);
    throw err;
  }
}

/** Runs the local cloud; the launcher calls this once the start script is loaded. */
export function run(): void {
  const given = commandLine(process.argv.slice(2));
  main(given).catch((err: unknown) => {
    console.error(startFailureText(err, process.env.PORT || '9000', given === undefined ? 'npm start' : `npm start -- -t ${given}`, readyShown));
    process.exit(1);
  });
}

// `node --import tsx scripts/local/start.ts` runs it directly; the prebuilt script is run by the launcher.
if (require.main === module) run();
