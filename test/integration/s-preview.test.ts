import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { loadSpec } from '../../scripts/local/spec/load';
import { previewWithServerlessDevs, renderingDifferences, type Preview } from '../../scripts/validate/checks';
import { tempDir } from '../helpers/temp';

/**
 * The s.yaml offline check (issue 3, part 2), exactly as `npm run validate` runs it: Serverless Devs' own
 * renderer (`s preview -o json`, the `@serverless-devs/s` dev dependency) and the local cloud's loader must
 * render every resource of s.yaml identically. `s` runs with a throw-away HOME, placeholder credentials and
 * a guard that records any network connection or child process it starts (reference/serverless-devs.md §4).
 */
const ROOT = join(__dirname, '..', '..');

/** Preloaded into every Node process `s` starts: records sockets and child processes instead of allowing them. */
const GUARD = `
const fs = require('node:fs');
const note = (what) => fs.appendFileSync(process.env.OFFLINE_GUARD_LOG, process.pid + ' ' + what + '\\n');
const net = require('node:net');
net.Socket.prototype.connect = function (...args) {
  const to = args[0] && typeof args[0] === 'object' ? (args[0].host || args[0].path) + ':' + args[0].port : String(args[0]);
  note('connect ' + to);
  process.nextTick(() => this.destroy(new Error('network access is disabled in this test')));
  return this;
};
const cp = require('node:child_process');
for (const name of ['spawn', 'fork', 'exec', 'execFile']) {
  const original = cp[name];
  cp[name] = function (...args) {
    note(name + ' ' + JSON.stringify(args.slice(0, 2)));
    return original.apply(this, args);
  };
}
`;

/** The check of `npm run validate`, plus the differing paths so a failure says what to fix. */
function compare(preview: Preview, root: string, env: NodeJS.ProcessEnv): { problems: string[]; diff: string[] } {
  const spec = loadSpec(join(root, 's.yaml'), env);
  const problems = renderingDifferences(preview, spec);
  return { problems, diff: problems };
}

/** A copy of the app: s.yaml copied, every other top-level entry (infra, flows, node_modules with `s`) linked. */
function appCopy(dir: ReturnType<typeof tempDir>, name: string): string {
  const root = join(dir.path, name);
  mkdirSync(root);
  copyFileSync(join(ROOT, 's.yaml'), join(root, 's.yaml'));
  for (const entry of readdirSync(ROOT)) {
    if (entry !== 's.yaml' && !entry.startsWith('.')) symlinkSync(join(ROOT, entry), join(root, entry));
  }
  return root;
}

describe('s.yaml offline check: s preview and the local cloud render it identically', () => {
  const dir = tempDir('s-preview-');
  const guardLog = join(dir.path, 'offline-guard.log');
  // What a shell running `npm run validate` passes: no NODE_ENV (jest sets it to `test`), CI, and the guard.
  const shellEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    CI: 'true',
    NODE_OPTIONS: `--require ${dir.write('offline-guard.js', GUARD)}`,
    OFFLINE_GUARD_LOG: guardLog,
  };
  const offlineLog = () => (existsSync(guardLog) ? readFileSync(guardLog, 'utf8') : '');
  let preview: Preview;

  beforeAll(async () => {
    preview = await previewWithServerlessDevs(ROOT, shellEnv);
  });
  afterAll(() => dir.cleanup());

  it('renders the real s.yaml without network, child processes or prompts', () => {
    expect(offlineLog()).toBe('');
    expect(Object.keys(preview.resources).length).toBeGreaterThan(0);
    // Rendered, not echoed: no `${…}` survives in either rendering.
    expect(JSON.stringify(preview.resources)).not.toContain('${');
  });

  it('agrees with the local cloud on every resource of the real s.yaml', () => {
    const { problems, diff } = compare(preview, ROOT, shellEnv);
    expect({ problems, diff }).toEqual({ problems: [], diff: [] });
  });

  it('says s is not installed, and how to install it, rather than spawn ENOENT (D160)', async () => {
    const bare = dir.write('no-s/s.yaml', 'edition: 3.0.0\nname: bare\nresources: {}\n');
    await expect(previewWithServerlessDevs(join(bare, '..'), shellEnv)).rejects.toThrow(
      `Serverless Devs (s) is not installed: ${join(bare, '..', 'node_modules', '.bin', 's')} does not exist. It is a dev dependency of this repository: npm install puts it there`,
    );
  });

  it('reports an environment variable that only one side sees, naming the fields', async () => {
    const root = appCopy(dir, 'env-one-side');
    const theirs = await previewWithServerlessDevs(root, { ...shellEnv, STAGE: 'qa' });
    const { problems, diff } = compare(theirs, root, {});
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^resources\.product-bff\.props\.functionName: /)]));
    expect(diff).toEqual(expect.arrayContaining(['resources.product-bff.props.functionName: s preview "fcsuite-qa-product-bff" → local cloud "fcsuite-dev-product-bff"']));
    expect(diff).toContain('resources.product-bff.props.environmentVariables.STAGE: s preview "qa" → local cloud "dev"');
  });

  it('reports a resource rendered by one side only, and a mangled one', async () => {
    const root = appCopy(dir, 'mangled');
    const theirs = await previewWithServerlessDevs(root, shellEnv);
    expect(compare(theirs, root, {}).problems).toEqual([]);

    const { ['demo-seed']: seed, ...withoutSeed } = theirs.resources;
    const mangled: Preview = {
      ...theirs,
      resources: { ...withoutSeed, 'auth-token': { component: 'fc3', props: { ...(theirs.resources['auth-token']!.props as object), memorySize: 1024 } } },
    };
    expect(seed).toBeDefined();
    const { problems, diff } = compare(mangled, root, {});
    expect(problems).toEqual(
      expect.arrayContaining(['resources.demo-seed: rendered by the local cloud only', 'resources.auth-token.props.memorySize: s preview 1024 → local cloud 256']),
    );
    expect(diff).toContain('resources.auth-token.props.memorySize: s preview 1024 → local cloud 256');
    expect(offlineLog()).toBe('');
  });
});
