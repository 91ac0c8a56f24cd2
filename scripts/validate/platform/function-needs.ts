/**
 * What each function's code may ask of the cloud (D144), read from its source: the files its handler folder
 * imports, transitively (`#shared/…` and relative imports); the adapters among them
 * (`functions/_shared/aliyun/*.ts`) and the port methods the rest call give the SDK calls, `SDK_CALL_ACTIONS` their
 * RAM actions; the resources are the tables its code names (`TABLES.<key>`), and the bucket, queues, topics and
 * functions its environment names (`MEDIA_BUCKET`, `*_QUEUE`, `*_TOPIC`, `*_FUNCTION`). Over-approximate by
 * design: a code path that is never taken still needs its permission, so the role must cover it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { TABLES } from '../../../functions/_shared/contracts/tables';

export interface Need {
  action: string;
  resource: string;
  /** Which SDK call and which name in the code or environment led to it. */
  because: string;
}

/**
 * The port method (functions/_shared/ports) behind each adapter's SDK call, where the names differ; a call whose
 * port method no reached source calls is not needed. Adapters missing here need all their calls.
 */
export const PORT_METHODS: Record<string, Record<string, string[]>> = {
  'tablestore-table.ts': { getRow: ['getRow'], putRow: ['putRow'], updateRow: ['updateRow'], deleteRow: ['deleteRow'], getRange: ['getRange'], batchGetRow: ['batchGetRow'], batchWriteRow: ['batchWriteRow'] },
  'oss-object-store.ts': { put: ['put'], get: ['get'], head: ['head'], delete: ['delete'], deleteMulti: ['deleteMany'], copy: ['copy'], listV2: ['list'], signatureUrl: ['signUrl'], signatureUrlV4: ['signUrl'] },
  'mns-queue.ts': { sendMessage: ['send'], batchSendMessage: ['sendBatch'], get: ['receive'], deleteMessage: ['delete'], batchDeleteMessage: ['deleteBatch'], changeMessageVisibility: ['changeVisibility'] },
  'fnf-workflow-client.ts': { startExecution: ['startExecution'], describeExecution: ['describeExecution', 'startExecution'], reportTaskSucceeded: ['reportTaskSucceeded'], reportTaskFailed: ['reportTaskFailed'] },
};

const IMPORT = /(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g;

function resolveImport(spec: string, fromFile: string, sharedDir: string): string | undefined {
  const base = spec.startsWith('#shared/') ? join(sharedDir, spec.slice('#shared/'.length)) : spec.startsWith('.') ? resolve(dirname(fromFile), spec) : undefined;
  if (!base) return undefined;
  return [`${base}.ts`, join(base, 'index.ts'), base].find((f) => f.endsWith('.ts') && existsSync(f));
}

/** Every .ts file the function's folder reaches through its imports (its own files included, tests excluded). */
export function reachedSources(functionDir: string, sharedDir: string): Set<string> {
  const seen = new Set<string>();
  const queue = readdirSync(functionDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(functionDir, f));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const next = resolveImport(m[1]!, file, sharedDir);
      if (next && !seen.has(next)) queue.push(next);
    }
  }
  return seen;
}

const TABLE_NAMES = TABLES as Record<string, { name: string }>;

/** The needs of one function, from its reached sources, its environment and the adapters' SDK calls. */
export function needsOf(
  reached: Set<string>,
  env: Record<string, string>,
  where: { region: string; accountId: string; adapterDir: string },
  adapterCalls: string[],
  actionsOf: (call: string) => string[],
): Need[] {
  const adapterDir = resolve(where.adapterDir);
  const adapters = new Set([...reached].filter((f) => dirname(f) === adapterDir).map((f) => basename(f)));
  const code = [...reached]
    .filter((f) => dirname(f) !== adapterDir)
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const calls = adapterCalls.filter((c) => {
    const [file, method] = c.split(':') as [string, string];
    if (!adapters.has(file)) return false;
    const ports = PORT_METHODS[file]?.[method];
    return !ports || ports.some((p) => code.includes(`.${p}(`));
  });
  const tables = new Set([...code.matchAll(/\bTABLES\.(\w+)/g)].map((m) => TABLE_NAMES[m[1]!]?.name).filter((n): n is string => Boolean(n)));
  if (adapters.has('tablestore-search-index.ts')) {
    for (const m of readFileSync(join(adapterDir, 'tablestore-search-index.ts'), 'utf8').matchAll(/\btable: '(\w+)'/g)) tables.add(m[1]!);
  }
  const named = (suffix: string) => Object.entries(env).filter(([k, v]) => k.endsWith(suffix) && v !== '');
  const { region, accountId } = where;
  const needs: Need[] = [];
  for (const call of calls) {
    for (const action of actionsOf(call)) {
      const service = action.split(':')[0];
      const add = (resource: string, name: string) => needs.push({ action, resource, because: `${call} with ${name}` });
      if (service === 'ots') for (const t of tables) add(`acs:ots:${region}:${accountId}:instance/${(env.TABLESTORE_INSTANCE ?? '').toLowerCase()}/table/${t}`, `table ${t}`);
      if (service === 'oss' && env.MEDIA_BUCKET) add(`acs:oss:*:${accountId}:${env.MEDIA_BUCKET}${action === 'oss:ListObjects' ? '' : '/*'}`, 'MEDIA_BUCKET');
      if (service === 'mns' && action === 'mns:PublishMessage') for (const [k, v] of named('_TOPIC')) add(`acs:mns:${region}:${accountId}:/topics/${v}/messages`, k);
      else if (service === 'mns') for (const [k, v] of named('_QUEUE')) add(`acs:mns:${region}:${accountId}:/queues/${v}/messages`, k);
      if (service === 'fc') for (const [k, v] of named('_FUNCTION')) add(`acs:fc:${region}:${accountId}:functions/${v}`, k);
      if (service === 'fnf') add('*', 'CloudFlow grants its execution calls on all resources only');
    }
  }
  return needs;
}
