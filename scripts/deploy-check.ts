/**
 * `npm run deploy`'s first step: are there credentials for `s deploy` at all? Without any, the deploy built every
 * bundle and validated s.yaml (half a minute) and then `s` stopped on something else — offline, `getaddrinfo ENOTFOUND
 * api.devsapp.cn` — never saying that no account was configured. Checked first, with the ways `s` takes credentials:
 * the environment (`AccessKeyID`/`AccessKeySecret`, or `ALIBABA_CLOUD_ACCESS_KEY_ID`/`…_SECRET`), or the access alias
 * the yaml names (`access: default`), which `s config get` answers from its own configuration. Nothing is printed from it.
 * scripts/deploy.ts runs this first; run alone, it checks this repository's s.yaml (or `-t <file>`'s, D160).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './local/paths';
import { scriptProject, templateArgument } from './local/template-option';

const both = (env: NodeJS.ProcessEnv, id: string, secret: string) => !!env[id] && !!env[secret];

/** The access alias the yaml deploys with (`access:` at its top; `s` defaults to `default`). */
function accessAlias(template: string): string {
  const line = /^access:\s*['"]?([\w.-]+)/m.exec(readFileSync(template, 'utf8'));
  return line?.[1] ?? 'default';
}

/** Whether `s` holds credentials under `alias` (its own store, or whatever else it reads), asked without printing them. */
async function sHasAlias(alias: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    const { stdout, stderr } = await promisify(execFile)(join(REPO_ROOT, 'node_modules', '.bin', 's'), ['config', 'get', '-a', alias], { cwd: REPO_ROOT, env, timeout: 60_000 });
    return /AccessKeyID/.test(`${stdout}${stderr}`);
  } catch {
    // `s` not installed answers as no alias: the message below says how to add one, and the deploy stops here.
    return false;
  }
}

/** What to tell the person deploying when `s` would find no credentials for `template`, else undefined. */
export async function missingCredentials(template: string, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (both(env, 'AccessKeyID', 'AccessKeySecret') || both(env, 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET')) return undefined;
  const alias = accessAlias(template);
  if (await sHasAlias(alias, env)) return undefined;
  return (
    `npm run deploy needs Alibaba Cloud credentials, and none were found (no AccessKeyID/AccessKeySecret in the environment, no access alias "${alias}" in s's configuration). ` +
    `Export AccountID, AccessKeyID and AccessKeySecret (a RAM user's AccessKey), or save them once with ` +
    `npx s config add --AccessKeyID <id> --AccessKeySecret <secret> --AccountID <account id> -a ${alias} -f. ` +
    'Nothing was built or deployed. The first-deploy checklist: docs/runbook.md; to check s.yaml offline without an account: npm run validate.'
  );
}

async function main(): Promise<void> {
  const missing = await missingCredentials(scriptProject(templateArgument(process.argv.slice(2)).given).template, process.env);
  if (missing === undefined) return;
  console.error(missing);
  process.exit(1);
}

if (require.main === module) void main();
