import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { buildFunctionsInStages, bundledSpec, functionsWithoutMaps } from '../build/functions';
import { watchFunctionsOnChange } from '../build/watch-functions';
import { buildFingerprint, staleFunctions } from '../build/fingerprint';
import { buildWebsite } from '../build/website';
import { traceMark } from './trace';
import { reloadedFromCodeFolder, watchCodeFolders } from './watch-code-folders';
import type { AppSpec, FunctionSpec } from './spec/model';

/**
 * What `npm start` builds and in which order (docs/decisions.md D32). Nothing here blocks the local cloud
 * from opening its emulators and gateway: bundles are built in stages while the rest starts, each function's
 * instances wait only for their own bundle, and the website is reused when its inputs have not changed.
 */
export interface StartupBuild {
  /** The bundles in `dist/` were built from the current sources and are served as they are. */
  bundlesReused: boolean;
  /** This start builds (some of) the first call tree's first part: its instances start only once that is done. */
  buildsFirstPart: boolean;
  /** Resolves when the function's bundle can be loaded. */
  /** Resolves when `fn`'s bundle is written; `demanded` (a request waits for it) builds it now if its stage has not begun. */
  codeReady(fn: FunctionSpec, demanded?: boolean): Promise<void>;
  /** Resolves when `dist/website` is built (at once when it is up to date). */
  websiteReady: Promise<unknown>;
  /** Everything built; rejects with the first build error. */
  done: Promise<void>;
  /**
   * The functions of the first call tree (FC names) in the two parts it is built in (`buildStages`): warm the
   * first part, then call `startTreeTail`, then warm the second.
   */
  warmStages: string[][];
  /** Lets the first call tree's second part build (call once the first part's instances are warm). */
  startTreeTail(): void;
  /** Lets every stage left build (call once the first call tree is warm and seeded, or when the start failed). */
  startLaterStages(): void;
  /**
   * Starts the hot-reload watcher (with `watch`): a recursive watch of `functions/` is ~30 ms of the main thread's
   * CPU, so a start begins it once its first requests are served (D87); a source saved before then reloads too.
   */
  startWatching(): void;
  /** Stops the hot-reload watcher, if any. */
  dispose(): Promise<void>;
}

export interface StartupBuildOptions {
  /** false: serve `dist/` as it is (tests that built it themselves). */
  build: boolean;
  /** Rebuild and report changed functions when sources change. */
  watch: boolean;
  /** The `demo-seed` function when this start will seed: its bundle is built first. */
  seeder?: FunctionSpec;
  onBuilt(changed: string[], error?: Error): void;
}

export function startBuilds(app: AppSpec, root: string, options: StartupBuildOptions): StartupBuild {
  // Functions whose code folder runs as it is (no functions/<resource>/handler.ts) are not the bundler's.
  const spec = bundledSpec(app);
  // Code folders with nothing to bundle (Python, plain CommonJS, custom runtimes) are watched for themselves from the
  // start, before their first instance: a few directory watches, and a file saved while the start runs still reloads
  // (D139, D149).
  let disposed = false;
  const reloaded = reloadedFromCodeFolder(app, spec.functions);
  const codeWatcher = options.watch && reloaded.length > 0 ? watchCodeFolders(reloaded, (changed) => options.onBuilt(changed)) : undefined;
  if (!options.build) {
    return { bundlesReused: true, buildsFirstPart: false, codeReady: () => Promise.resolve(), websiteReady: Promise.resolve(), done: Promise.resolve(), warmStages: [], startTreeTail: () => undefined, startLaterStages: () => undefined, startWatching: () => undefined, dispose: async () => {
      disposed = true;
      codeWatcher?.close();
    } };
  }
  // Only what is stale is built (a start stopped halfway through its build kept the stages it finished).
  const fingerprint = buildFingerprint(spec);
  const stale = staleFunctions(spec, fingerprint);
  const fresh = stale.length === 0;
  const stages = buildStages(spec, options.seeder);
  const treeStages = stages.filter((stage) => !options.seeder || !stage.includes(options.seeder));
  const treeTail = gate();
  const later = gate();
  // The tree's second part (the last stage, when the tree has two) waits for the first part's instances; the
  // functions in no stage (built after the last) wait for the whole tree to be warm and seeded.
  const gates: Record<number, Promise<unknown>> = { [stages.length]: later.opened, ...(treeStages.length === 2 ? { [stages.length - 1]: treeTail.opened } : {}) };
  // Source maps are written in the last stage, after the first page (D73); a start stopped before it left some
  // bundles without theirs, and this one writes them then.
  const unmapped = functionsWithoutMaps(spec).filter((fn) => !stale.includes(fn));
  const functions = fresh && unmapped.length === 0 ? undefined : buildFunctionsInStages(spec, stages, stale, { gates, mapsLast: true, unmapped, fingerprint });
  const websiteReady = existsSync(join(root, 'website', 'src', 'main.ts')) ? buildWebsite(root, undefined, { reuse: true }) : Promise.resolve();
  void websiteReady.then(() => traceMark('website built'), () => undefined);
  const done = Promise.all([functions?.done, websiteReady]).then(() => undefined);
  // Awaited by the start (which fails with the error); a start that fails earlier must not crash on it.
  done.catch(() => undefined);
  let watcher: { dispose(): Promise<void> } | undefined;
  const staleNames = new Set(stale.map((fn) => fn.name));
  return {
    bundlesReused: fresh,
    buildsFirstPart: (treeStages[0] ?? []).some((fn) => staleNames.has(fn.name)),
    codeReady: (fn, demanded) => functions?.ready(fn.name, demanded) ?? Promise.resolve(),
    websiteReady,
    done,
    warmStages: treeStages.map((stage) => stage.map((fn) => fn.name)),
    startTreeTail: treeTail.open,
    startLaterStages: () => {
      treeTail.open();
      later.open();
    },
    startWatching: () => {
      // Watching costs nothing until a source changes (watchFunctionsOnChange) but setting it up.
      if (options.watch && !watcher && !disposed && spec.functions.length > 0) watcher = watchFunctionsOnChange(spec, options.onBuilt, { after: done, changedSince: fingerprint });
    },
    dispose: async () => {
      disposed = true;
      codeWatcher?.close();
      await watcher?.dispose();
    },
  };
}

/**
 * The prioritised stages are what the first minutes need: the seed alone first (a new data folder has no
 * catalogue without it, and it can run while the next stage builds), then the first call tree of
 * `warmOrder` (the page with the most functions behind it) in two esbuild calls — its root with the first half
 * of the functions it calls (in the order its environment names them), then the other half — so the first
 * half's instances warm while the second half builds (D43). For the product page that is the BFF with info,
 * price and sales, which is all the product list asks (D71). Everything else follows in one more esbuild call
 * once those are warm.
 */
export function buildStages(spec: AppSpec, seeder: FunctionSpec | undefined): FunctionSpec[][] {
  const byName = new Map(spec.functions.map((fn) => [fn.name, fn]));
  const firstTree = (callTrees(spec)[0] ?? []).filter((name) => name !== seeder?.name).map((name) => byName.get(name)!);
  const head = firstTree.slice(0, 1 + Math.ceil((firstTree.length - 1) / 2));
  return [...(seeder ? [[seeder]] : []), head, firstTree.slice(head.length)].filter((stage) => stage.length > 0);
}

/**
 * The order instances are warmed in at start-up: the call trees of the routed functions, largest first (a
 * function calls those whose names appear among its environment values, e.g. PRODUCT_INFO_FUNCTION), then
 * the rest — so the page with the most functions behind it finds its whole call tree warm.
 */
export function warmOrder(spec: AppSpec): string[] {
  const order = new Set(callTrees(spec).flat());
  for (const fn of spec.functions) order.add(fn.name);
  return [...order];
}

/** Each routed function with the functions it calls (transitively), largest tree first, ties in s.yaml order. */
function callTrees(spec: AppSpec): string[][] {
  const byName = new Map(spec.functions.map((fn) => [fn.name, fn]));
  const treeOf = (root: string): string[] => {
    const tree: string[] = [];
    const visit = (name: string) => {
      const fn = byName.get(name);
      if (!fn || tree.includes(name)) return;
      tree.push(name);
      for (const value of Object.values(fn.environment)) if (byName.has(value)) visit(value);
    };
    visit(root);
    return tree;
  };
  const roots = [...new Set(spec.routes.map((route) => route.functionName))];
  return roots.map(treeOf).sort((a, b) => b.length - a.length);
}

/**
 * Warms the first call tree (D43): its first part at once (`onHeadWarm` once it is warm), then its second part —
 * built (`startTreeTail`) and warmed only once the requests the first part is serving have paused (`whenIdle`).
 * Begun the moment the first part was warm, the second part's bundler (a start stopped before that stage ended
 * leaves it stale for the next) and its cold starts took both cores from the first page's last invocations;
 * nobody waits for it but `ready` (D118).
 */
export function warmFirstCallTree(
  head: string[],
  tail: string[],
  steps: { prewarm(names: string[]): Promise<unknown>; onHeadWarm(): void; whenIdle(): Promise<unknown>; startTreeTail(): void },
): { headWarm: Promise<void>; warmFirst: Promise<void> } {
  const headWarm = steps.prewarm(head).then(() => steps.onHeadWarm());
  const warmFirst = headWarm
    .then(() => (tail.length > 0 ? steps.whenIdle() : undefined))
    .then(async () => {
      steps.startTreeTail();
      await steps.prewarm(tail);
    });
  return { headWarm, warmFirst };
}

/** A promise opened from outside. */
export function gate(): { opened: Promise<void>; open(): void } {
  let open = () => undefined as void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** FC API calls (`/2023-03-30/…`): how one function invokes another, e.g. from its initializer. */
export const isFcApiCall = (req: IncomingMessage): boolean => (req.url ?? '').startsWith('/2023-03-30/');

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Requests that reach the port before the local cloud is ready: held, then served in arrival order. */
export class EarlyRequests {
  private held: { req: IncomingMessage; res: ServerResponse }[] = [];

  hold(req: IncomingMessage, res: ServerResponse): void {
    this.held.push({ req, res });
  }

  /** Serves the held requests `which` selects (default: all), in arrival order; the others stay held. */
  release(handler: Handler, which: (req: IncomingMessage) => boolean = () => true): void {
    const released = this.held.filter(({ req }) => which(req));
    this.held = this.held.filter(({ req }) => !which(req));
    // A client that gave up while waiting (a probe with a short timeout) is not worth serving.
    for (const { req, res } of released) if (!req.socket.destroyed) handler(req, res);
  }

  /** The start failed: answer what is held with 503 instead of leaving it hanging. */
  refuse(): void {
    for (const { res } of this.held.splice(0)) {
      if (res.headersSent || res.destroyed) continue;
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'the local cloud failed to start' } }));
    }
  }
}
