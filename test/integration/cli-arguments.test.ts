import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp';

/**
 * Every npm script's command line (D149): an argument a script does not take is refused by name, exit 2, before
 * anything runs or is built — it was ignored by `validate`, `build`, `npm start` and `bench` (past its first) — and
 * an option that needs a value is refused without one (`invoke --data` meant `{}`). `reset` (D140), `invoke`'s
 * other mistakes and `simulate:iot` (node's parseArgs) were already strict.
 */
const REPO = join(__dirname, '..', '..');

describe('npm scripts refuse arguments they do not take', () => {
  const dir = tempDir('cli-args-');
  afterAll(() => dir.cleanup());

  const run = (script: string, args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(REPO, script), ...args], {
      cwd: REPO,
      encoding: 'utf8',
      // PORT=0 and a data folder of its own: were `npm start` to take the argument and start, it would be on free ports.
      env: { ...process.env, DATA_DIR: join(dir.path, 'data'), PORT: '0', NO_COLOR: '1' },
      timeout: 60_000,
    });

  it.each([
    ['npm run validate --', ['--deplyo'], 'scripts/validate.ts', '--deplyo'],
    ['npm run validate --', ['--deploy', 'extra'], 'scripts/validate.ts', 'extra'],
    ['npm run build --', ['--watch'], 'scripts/build.ts', '--watch'],
    ['npm start --', ['--port', '9100'], 'scripts/local/start.ts', '--port'],
    ['npm run bench --', ['python-runtime', 'extra'], 'bench/run.ts', 'extra'],
  ])('%s %j is refused naming the argument, with the usage', (_name, args, script, named) => {
    const result = run(script, args);
    expect(result.signal).toBeNull();
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^unknown argument ${named.replace(/[-]/g, '\\-')}\\b`));
    expect(result.stderr).toContain('usage: ');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    [['my-fn', '--data']],
    [['my-fn', '--data', '--async']],
    [['my-fn', '-e']],
  ])('npm run invoke %j is refused: --data needs the event', (args) => {
    const result = run('scripts/invoke.ts', args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^(--data|-e) needs the event as JSON: (--data|-e) '\{"id":"p-1"\}'/);
  });

  it('npm run invoke with two events is refused, not the last one taken', () => {
    const result = run('scripts/invoke.ts', ['my-fn', '--data', '{}', '--data', '{"a":1}']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^give the event once/);
  });

  // D160: validate, build and deploy take -t as npm start does; npm keeps -t before `--` and passes the file alone.
  it.each([
    ['scripts/validate.ts', ['app/s.yaml'], 'npm run validate -- -t app/s.yaml'],
    ['scripts/validate.ts', ['app/s.yaml', '--deploy'], 'npm run validate -- -t app/s.yaml'],
    ['scripts/build.ts', ['app/s.yaml'], 'npm run build -- -t app/s.yaml'],
    ['scripts/deploy.ts', ['app/s.yaml'], 'npm run deploy -- -t app/s.yaml'],
  ])('%s %j (npm took -t for itself) is refused naming the command that works', (script, args, command) => {
    const result = run(script, args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^npm took -t \(or --template\) for itself and passed only app\/s\.yaml on: put -- before it, /);
    expect(result.stderr).toContain(command);
    expect(result.stderr).toContain('usage: ');
  });

  it.each([['scripts/validate.ts'], ['scripts/build.ts'], ['scripts/deploy.ts']])('%s with --template=<file> kept by npm, or -t without a file, is refused', (script) => {
    const kept = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, script)], { cwd: REPO, encoding: 'utf8', env: { ...process.env, npm_config_template: 'app/s.yaml' }, timeout: 60_000 });
    expect(kept.status).toBe(2);
    expect(kept.stderr).toMatch(/^npm took --template=app\/s\.yaml as a setting of its own and did not pass it on: put -- before it, npm run \w+ -- --template=app\/s\.yaml/);
    const bare = run(script, ['-t']);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(/^-t needs the path of a Serverless Devs yaml/);
  });

  it('npm run validate, build, deploy and reset -- --help print their usage and exit 0', () => {
    for (const script of ['scripts/validate.ts', 'scripts/build.ts', 'scripts/deploy.ts', 'scripts/reset.ts']) {
      const result = run(script, ['--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^usage: .*npm run /);
    }
  });
});
