import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { dataDirFrom, DataFolderUnusable, ensureDataFolder, resetRefusal } from '../../scripts/local/data-lock';
import { REPO_ROOT } from '../../scripts/local/paths';
import { SpecErrors } from '../../scripts/local/spec/errors';
import { loadSpec } from '../../scripts/local/spec/load';
import { startSettingsFrom } from '../../scripts/local/start-options';
import { startFailureText } from '../../scripts/local/terminal';
import { tempDir } from '../helpers/temp';

/**
 * What a newcomer gets wrong on a first run, answered with what is wrong and what to do — never node's stack from
 * inside the start script (D140).
 */
function specFailure(yaml: string, files: Record<string, string> = {}): SpecErrors {
  const dir = tempDir('first-run-spec-');
  try {
    for (const [name, text] of Object.entries(files)) dir.write(name, text);
    loadSpec(dir.write('s.yaml', yaml), {});
  } catch (err) {
    if (err instanceof SpecErrors) return err;
    throw err;
  } finally {
    dir.cleanup();
  }
  throw new Error('loadSpec accepted the file');
}

const APP = `edition: 3.0.0
name: t
x-shared: &shared
  region: cn-hangzhou
  runtime: nodejs20
  handler: index.handler
  timout: 5
resources:
  hello:
    component: fc3
    props:
      <<: *shared
      functionName: t-hello
      code: ./dist/hello
      memorySzie: 512
      triggers:
        - triggerName: cdn
          triggerType: cdn_events
          triggerConfig: { eventName: CdnDomainStarted }
  domain:
    component: fc3-domain
    props:
      region: cn-hangzhou
      domainName: auto
      protocol: HTTP
      routeConfig:
        routes:
          - { path: /hello, functionName: t-hello }
`;

describe('s.yaml mistakes on a first run', () => {
  it('names each wrong key with its line (an anchor key where the anchor says it), and nothing that follows from it', () => {
    const failure = specFailure(APP);
    expect(failure.message.split('\n').filter((line) => line.startsWith('- '))).toEqual([
      '- s.yaml:7 resources.hello.props.timout: unknown key, not supported by the local cloud',
      '- s.yaml:15 resources.hello.props.memorySzie: unknown key, not supported by the local cloud',
      '- s.yaml:18 resources.hello.props.triggers[0].triggerType: "cdn_events": CDN event triggers are not emulated',
    ]);
    // The route to the refused function is not reported as a route to an unknown function: it follows from the trigger.
    expect(failure.message).not.toContain('unknown function');
  });

  it('names the line and column of a YAML syntax error, with the lines around it, as a spec problem', () => {
    const failure = specFailure(APP.replace('      functionName: t-hello\n', '      functionName: t-hello\n     description: [unclosed\n'));
    expect(failure.message).toMatch(/^the local cloud cannot run this s\.yaml:\n- s\.yaml line 14, column 1: All mapping items must start at the same column \(YAML syntax\)\n {4}.*functionName: t-hello/);
    expect(failure.message).not.toMatch(/\n\s+at /);
    expect(startFailureText(failure, '9000')).toBe(failure.message);
  });

  it('names an included file that does not exist, or that is not YAML, by the expression that includes it', () => {
    const flowApp = (include: string) => `edition: 3.0.0\nname: t\nresources:\n  f:\n    component: flow\n    props:\n      region: cn-hangzhou\n      name: t-flow\n      definition: \${yaml(file('./flows/${include}'))}\n`;
    expect(specFailure(flowApp('missing.yaml')).message).toMatch(/^- s\.yaml:9 resources\.f\.props\.definition: \$\{yaml\(file\('\.\/flows\/missing\.yaml'\)\)\}: no file \S+missing\.yaml$/m);
    const broken = specFailure(flowApp('broken.yaml'), { 'flows/broken.yaml': 'Type: StateMachine\nStates: [\n' });
    expect(broken.message).toMatch(/^- \S*broken\.yaml line 3, column 1: .+ \(YAML syntax\)$/m);
  });
});

describe('npm start settings from the environment', () => {
  it('takes PORT and each service port as given, an empty one as unset', () => {
    expect(startSettingsFrom({ PORT: '9100', OSS_PORT: '9200', DATA_DIR: '.data-alt' })).toEqual({ port: 9100, ossPort: 9200, dataDir: join(process.cwd(), '.data-alt') });
    expect(startSettingsFrom({ PORT: '', DATA_DIR: '' })).toEqual({ port: 9000, dataDir: join(REPO_ROOT, '.data') });
    expect(startSettingsFrom({ PORT: '0' }).port).toBe(0);
  });

  it('refuses a PORT that is not one, or whose service ports would pass 65535, saying what to give', () => {
    for (const port of ['abc', '9000x', '70000', '65534', '-1', '90.5']) {
      expect(() => startSettingsFrom({ PORT: port })).toThrow(`PORT=${port} is not a port: give a number up to 65531 (npm start listens on PORT to PORT+4), e.g. PORT=9100 DATA_DIR=.data-alt npm start`);
    }
    expect(() => startSettingsFrom({ MNS_PORT: 'mns' })).toThrow('MNS_PORT=mns is not a port: give a number up to 65535, e.g. MNS_PORT=9101 npm start');
    let caught: unknown;
    try {
      startSettingsFrom({ PORT: 'abc' });
    } catch (err) {
      caught = err;
    }
    expect(startFailureText(caught, 'abc')).toBe((caught as Error).message);
  });
});

describe('the data folder', () => {
  const dir = tempDir('first-run-data-');
  afterAll(() => dir.cleanup());

  it('is refused, by name and with what to do, when it is a file or below one', () => {
    const file = dir.write('a-file', 'not a folder');
    expect(() => ensureDataFolder(file)).toThrow(`the data folder ${file} (DATA_DIR) cannot be used: it is a file, not a folder. Give DATA_DIR a folder you can write to`);
    expect(() => ensureDataFolder(join(file, 'data'))).toThrow(DataFolderUnusable);
    let caught: unknown;
    try {
      ensureDataFolder(file);
    } catch (err) {
      caught = err;
    }
    expect(startFailureText(caught, '9000')).toBe((caught as Error).message);
  });

  // In a child process: the hang this guards against was node's own synchronous mkdir, which no jest timeout ends.
  (existsSync('/proc/self') ? it : it.skip)('is refused at once, naming DATA_DIR, under /proc — node\'s recursive mkdir looped there forever (D149)', () => {
    const script = `const { ensureDataFolder } = require(${JSON.stringify(join(REPO_ROOT, 'scripts', 'local', 'data-lock.ts'))});
      for (const dir of ['/proc/fc-suite-test/data', '/proc/self']) { try { ensureDataFolder(dir); console.log('accepted', dir); } catch (err) { console.log(err.message); } }`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.signal).toBeNull();
    expect(run.stdout).toContain('the data folder /proc/fc-suite-test/data (DATA_DIR) cannot be used: it could not be created');
    expect(run.stdout).toContain('the data folder /proc/self (DATA_DIR) cannot be used');
    expect(run.stdout).not.toContain('accepted');
  });

  it('is created when missing, with spaces and non-ASCII letters in its path', () => {
    const path = join(dir.path, 'my data', 'données 数据');
    ensureDataFolder(path);
    expect(resetRefusal(path)).toMatch(/is not a local cloud's data folder/);
  });

  it('is the repository\'s .data when DATA_DIR is empty, never the current folder', () => {
    expect(dataDirFrom({ DATA_DIR: '' })).toBe(join(REPO_ROOT, '.data'));
    expect(dataDirFrom({})).toBe(join(REPO_ROOT, '.data'));
  });

  it('is deleted by reset only when a local cloud used it, and never when it holds the repository or the home folder', () => {
    const used = join(dir.path, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'cloud.sqlite'), '');
    expect(resetRefusal(used)).toBeUndefined();
    const other = join(dir.path, 'photos');
    mkdirSync(other);
    writeFileSync(join(other, 'beach.jpg'), 'a photo');
    expect(resetRefusal(other)).toBe(`${other} is not a local cloud's data folder (no cloud.sqlite in it): nothing deleted. DATA_DIR names the folder npm start keeps its state in`);
    for (const folder of [REPO_ROOT, join(REPO_ROOT, '..'), homedir(), '/']) expect(resetRefusal(folder)).toMatch(/holds the repository or your home folder.*nothing deleted/);
  });
});
