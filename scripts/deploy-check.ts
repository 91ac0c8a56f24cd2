/**
 * `npm run deploy`'s first step: are there credentials for `s deploy` at all? Without any, the deploy built every
 * bundle and validated s.yaml (half a minute) and then `s` stopped on something else — offline, `getaddrinfo ENOTFOUND
 * api.devsapp.cn` — never saying that no account was configured. Checked first, with the ways `s` takes credentials:
 * the environment (`AccessKeyID`/`AccessKeySecret`, or `ALIBABA_CLOUD_ACCESS_KEY_ID`/`…_SECRET`), or the access alias
 * s.yaml names (`access: default`), which `s config get` answers from its own configuration. Nothing is printed from it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './local/paths';

const both = (env: NodeJS.ProcessEnv, id: string, secret: string) => !!env[id] && !!env[secret];

/** The access alias s.yaml deploys with (`access:` at its top; `s` defaults to `default`). */
function accessAlias(): string {
  const line = /^access:\s*['"]?([\w.-]+)/m.exec(readFileSync(join(REPO_ROOT, 's.yaml'), 'utf8'));
  return line?.[1] ?? 'default';
}

/** Whether `s` holds credentials under `alias` (its own store, or whatever else it reads), asked without printing them. */
async function sHasAlias(alias: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const { stdout, stderr } = await promisify(execFile)(join(REPO_ROOT, 'node_modules', '.bin', 's'), ['config', 'get', '-a', alias], { cwd: REPO_ROOT, env, timeout: 60_000 });
    return /AccessKeyID/.test(`${stdout}${stderr}`);
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const env = process.env;
  if (both(env, 'AccessKeyID', 'AccessKeySecret') || both(env, 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET')) return;
  const alias = accessAlias();
  if (await sHasAlias(alias, env)) return;
  console.error(
    `npm run deploy needs Alibaba Cloud credentials, and none were found (no AccessKeyID/AccessKeySecret in the environment, no access alias "${alias}" in s's configuration). ` +
      `Export AccountID, AccessKeyID and AccessKeySecret (a RAM user's AccessKey), or save them once with ` +
      `npx s config add --AccessKeyID <id> --AccessKeySecret <secret> --AccountID <account id> -a ${alias} -f. ` +
      'Nothing was built or deployed. The first-deploy checklist: docs/runbook.md; to check s.yaml offline without an account: npm run validate.',
  );
  process.exit(1);
}

void main();
