import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, rmdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import OSS from 'ali-oss';
import type { LocalEndpoints } from '../../scripts/local/endpoints';
import { REPO_ROOT } from '../../scripts/local/paths';
import { projectDataDir } from '../../scripts/local/template-option';
import { eventually } from '../helpers/eventually';
import { freePortBlock } from '../helpers/local-cloud-process';
import { tempDir } from '../helpers/temp';

/**
 * A user's own Serverless Devs project (test/fixtures/own-project: its s.yaml, its ROS template, plain CommonJS code
 * folders) run with `npm start -- -t <its s.yaml>` and used as its owner would: the HTTP function with curl-like
 * requests, a file PUT with ali-oss's default options to the printed OSS endpoint firing its OSS trigger, its timer
 * run now (D154). The project is copied to a temp folder with node_modules beside it, as a user's has its SDKs
 * installed; the command is typed from the folder above it, as npm reports in INIT_CWD.
 */
/** What `npm start` runs (package.json), so the test goes through the launcher and the prebuilt start script. */
const LAUNCHER = ['--single-threaded-gc', join(REPO_ROOT, 'scripts', 'local', 'launch.cjs')];

describe('npm start -- -t <your own project>', () => {
  const dir = tempDir('own-project-');
  const project = join(dir.path, 'own-project');
  const template = join(project, 's.yaml');
  const dataDir = projectDataDir(template);
  let child: ChildProcess | undefined;
  let output = '';
  let url = '';
  let endpoints: LocalEndpoints;
  let oss: OSS;

  beforeAll(async () => {
    cpSync(join(REPO_ROOT, 'test', 'fixtures', 'own-project'), project, { recursive: true });
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(project, 'node_modules'));
    const port = await freePortBlock();
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), INIT_CWD: dir.path, OWN_GREETING: 'hi from the environment', WATCH: '0', NO_COLOR: '1', FC_LOCAL_QUIET: '1', FC_LOCAL_TRACE: '1' };
    // Its own data folder: the default for a template, not one a test environment set.
    delete env.DATA_DIR;
    child = spawn(process.execPath, [...LAUNCHER, '-t', 'own-project/s.yaml'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await eventually(
      () => {
        if (child!.exitCode !== null) throw new Error(`npm start exited (${child!.exitCode}):\n${output}`);
        expect(output).toContain('Local cloud ready');
      },
      { timeoutMs: 90_000, intervalMs: 50 },
    );
    url = /console +(http:\/\/\S+)\/_local\//.exec(output)![1]!;
    endpoints = (await (await fetch(`${url}/_local/api/endpoints`)).json()) as LocalEndpoints;
    // ali-oss as a user's script writes it with the printed endpoint and credentials: its default signature (V1),
    // path-style addressing (Node resolves no <bucket>.localhost).
    const { accessKeyId, accessKeySecret, securityToken } = endpoints.credentials;
    // (`sldEnable` is missing from @types/ali-oss; the local token never expires, so its refresh hands back the same.)
    const refreshSTSToken = () => Promise.resolve({ accessKeyId, accessKeySecret, stsToken: securityToken });
    oss = new OSS({ region: `oss-${endpoints.region}`, endpoint: endpoints.oss!.endpoint, ...{ sldEnable: true }, bucket: 'own-project-files', accessKeyId, accessKeySecret, stsToken: securityToken, refreshSTSToken });
  }, 120_000);

  /** Stops the local cloud as Ctrl-C would. */
  const stop = async () => {
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((ok) => child!.once('exit', ok));
    child.kill('SIGTERM');
    await exited;
  };

  afterAll(async () => {
    await stop();
    dir.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    try {
      rmdirSync(dirname(dataDir));
    } catch {
      // other projects' data folders are in it
    }
  }, 30_000);

  it("prints the project, its own data folder, its functions with their triggers, and the endpoints say what it declares", () => {
    expect(output).toContain(`data in ${dataDir}`);
    expect(output).toContain(`project   ${template}  (own-project; code and templates from ${project})`);
    expect(output).toMatch(/hello +128 MB, 5 s +http http:\/\/127\.0\.0\.1:\d+\/_fc\/own-hello\//);
    expect(output).toMatch(/tick +128 MB, 10 s +timer every-hour \(@every 60m\)/);
    expect(output).toMatch(/on-upload +128 MB, 10 s +oss own-project-files\/incoming\/\*\.txt/);
    // None of this repository's suite: no website, no /api/… of its own, no demo seed.
    expect(output).not.toMatch(/^ +(website|API) +http|demo-seed|product-bff/m);
    expect(endpoints.oss!.buckets).toEqual(['own-project-files']);
    expect(endpoints.tablestore!.instances).toEqual([]);
    expect([endpoints.mns!.queues, endpoints.mns!.topics, endpoints.fnf!.flows]).toEqual([[], [], []]);
    expect(existsSync(join(dataDir, 'cloud.lock'))).toBe(true);
    // The launcher's standby threads are this repository's first functions: not started for another project.
    expect(output).toContain('[trace]');
    expect(output).not.toContain('standby instance threads starting');
  });

  it('says which functions have no role, so FC hands them no credentials (D157)', async () => {
    // After the banner: own-hello has no role and calls no SDK; tick and on-upload run as own-project-files.
    await eventually(() => expect(output).toContain('functions without a role (FC gives them no credentials: context.credentials is {}, no ALIBABA_CLOUD_* variables): own-hello\n'));
    expect(output).not.toContain('appear to call cloud SDKs');
    expect(output).not.toContain('appears to call cloud SDKs');
  });

  it("answers the HTTP trigger at the printed address, with the variables s.yaml took from ${env()}: the shell's, else the project's .env", async () => {
    const address = /http (http:\/\/\S+\/_fc\/own-hello\/)/.exec(output)![1]!;
    const res = await fetch(`${address}greet?name=Ann`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'hi from the environment, Ann', signature: 'sent by own-project', method: 'GET', path: '/greet' });
  });

  it('runs the OSS trigger for a text file PUT under incoming/, and not for another suffix', async () => {
    const id = randomUUID();
    await oss.put(`incoming/${id}.bin`, Buffer.from('not text'));
    await oss.put(`incoming/${id}.txt`, Buffer.from(`hello ${id}`));
    const done = await eventually(async () => (await oss.get(`done/${id}.txt`)).content as Buffer, { timeoutMs: 30_000 });
    expect(done.toString()).toBe(`HELLO ${id.toUpperCase()}`);
    // The .bin PUT came first: its event, had the filter let it through, was queued before the .txt's.
    await expect(oss.head(`done/${id}.bin`)).rejects.toMatchObject({ status: 404 });
    await oss.delete(`incoming/${id}.bin`);
    await oss.delete(`incoming/${id}.txt`);
    await oss.delete(`done/${id}.txt`);
  });

  it('runs the timer now when asked, with its payload', async () => {
    const before = Date.now();
    const res = await fetch(`${url}/_local/api/timers/tick/run`, { method: 'POST' });
    expect(res.status).toBe(202);
    const run = await eventually(
      async () => {
        const latest = JSON.parse(((await oss.get('ticks/latest.json')).content as Buffer).toString()) as { trigger: string; at: string; job: string };
        expect(Date.parse(latest.at)).toBeGreaterThanOrEqual(before - 1000);
        return latest;
      },
      { timeoutMs: 30_000 },
    );
    expect(run).toMatchObject({ trigger: 'every-hour', job: 'hourly-summary' });
  });

  it('npm run invoke -- <function> -t runs one of its functions through the running local cloud', () => {
    const at = new Date().toISOString();
    const event = JSON.stringify({ triggerName: 'by-hand', triggerTime: at, payload: '{"job":"one-off"}' });
    const invoke = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'invoke.ts'), 'tick', '-t', 'own-project/s.yaml', '--data', event], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { ...process.env, INIT_CWD: dir.path, DATA_DIR: '', NO_COLOR: '1' },
    });
    expect([invoke.status, invoke.stderr]).toEqual([0, '']);
    expect(invoke.stdout).toContain(`through the local cloud running at ${url}`);
    expect(invoke.stdout).toMatch(/tick \(own-tick\)\s+request \S+\s+succeeded/);
    expect(invoke.stdout).toContain(JSON.stringify({ trigger: 'by-hand', at, job: 'one-off' }, null, 2));
  });

  it("npm run reset -- -t refuses while the project runs, and deletes that project's data folder once it stopped", async () => {
    const reset = () => spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'reset.ts'), '-t', template], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, DATA_DIR: '' } });
    const refused = reset();
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`a local cloud is running on ${dataDir} (${url}`);
    await stop();
    const done = reset();
    expect([done.status, done.stderr]).toEqual([0, '']);
    expect(done.stdout).toBe(`removed ${dataDir}; the next npm start -- -t ${template} begins with no data\n`);
    expect(existsSync(dataDir)).toBe(false);
  });
});
