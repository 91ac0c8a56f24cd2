/**
 * Said once at `npm start` (D157): which functions have no role, so FC hands them no credentials — and, among
 * them, which look like they call a cloud SDK, whose first call will then fail in the cloud as it fails here.
 * The look is a text search of the code folder (not a proof: a path never taken still counts, a client built
 * by a name the patterns do not know is missed); validate's needs derivation is the real check for the suite.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { FunctionSpec } from '../spec/model';

/** SDK packages and helpers that take credentials: Node (ali-oss, tablestore, @alicloud/*, ali-mns), Python (oss2, tablestore, alibabacloud_*, aliyunsdk*), the suite's own adapter. */
const SDK_USE = /\bali-oss\b|\btablestore\b|@alicloud\/|\bali-mns\b|\boss2\b|\balibabacloud_|\baliyunsdk|\bcredentialsFrom\b|ALIBABA_CLOUD_ACCESS_KEY_ID/;
const CODE_FILES = new Set(['.js', '.mjs', '.cjs', '.ts', '.py']);
/** Enough for a function's own code; a folder with more (a vendored tree) is searched this far only. */
const MAX_FILES = 400;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** Does the code folder appear to call a cloud SDK? (node_modules and dot folders skipped) */
export function appearsToCallSdks(codeDir: string): boolean {
  const pending = [codeDir];
  let seen = 0;
  while (pending.length > 0 && seen < MAX_FILES) {
    const dir = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === '__pycache__') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile() && CODE_FILES.has(extname(entry.name)) && statSync(path).size <= MAX_FILE_BYTES) {
        seen++;
        if (SDK_USE.test(readFileSync(path, 'utf8'))) return true;
      }
    }
  }
  return false;
}

/** The start's lines about role-less functions; none when every function has a role. */
export function noRoleLines(functions: readonly Pick<FunctionSpec, 'name' | 'role' | 'codeDir'>[], callsSdks: (codeDir: string) => boolean = appearsToCallSdks): string[] {
  const roleless = functions.filter((f) => !f.role);
  if (roleless.length === 0) return [];
  const lines = [`functions without a role (FC gives them no credentials: context.credentials is {}, no ALIBABA_CLOUD_* variables): ${roleless.map((f) => f.name).join(', ')}`];
  const risky = roleless.filter((f) => callsSdks(f.codeDir));
  if (risky.length > 0) {
    lines.push(`  ${risky.map((f) => f.name).join(', ')} appear${risky.length === 1 ? 's' : ''} to call cloud SDKs: those calls fail without credentials, here as in the cloud; give ${risky.length === 1 ? 'it a role' : 'them roles'} in s.yaml (props.role) with the policies ${risky.length === 1 ? 'it needs' : 'they need'}`);
  }
  return lines;
}
