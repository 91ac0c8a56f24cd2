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

  it('npm run validate, build and reset -- --help print their usage and exit 0', () => {
    for (const script of ['scripts/validate.ts', 'scripts/build.ts', 'scripts/reset.ts']) {
      const result = run(script, ['--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^usage: .*npm run /);
    }
  });
});
