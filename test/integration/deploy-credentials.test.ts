import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp';

/**
 * `npm run deploy` without an account stops first, saying what to set up (D140): before, it built every bundle,
 * validated, and `s` then failed on something else (offline: `getaddrinfo ENOTFOUND api.devsapp.cn`).
 * Each run has a HOME of its own, so no credentials of the machine are read.
 */
const REPO = join(__dirname, '..', '..');

function deployCheck(home: string, env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(AccessKey|AccountID|ALIBABA_CLOUD_)/.test(key)));
  return spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'deploy-check.ts')], { cwd: REPO, encoding: 'utf8', env: { ...clean, HOME: home, ...env }, timeout: 90_000 });
}

describe('npm run deploy without credentials', () => {
  const home = tempDir('deploy-home-');
  afterAll(() => home.cleanup());

  it('stops before the build, naming what to set and where the checklist is', () => {
    const run = deployCheck(home.path);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('npm run deploy needs Alibaba Cloud credentials, and none were found');
    expect(run.stderr).toContain('npx s config add --AccessKeyID <id> --AccessKeySecret <secret> --AccountID <account id> -a default -f');
    expect(run.stderr).toContain('Nothing was built or deployed');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);

  it('goes on with keys in the environment, as s deploy takes them', () => {
    const run = deployCheck(home.path, { AccessKeyID: 'id', AccessKeySecret: 'secret', AccountID: '1234567890' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  }, 120_000);
});
