import { createHmac } from 'node:crypto';
import type { EmulatorWorld } from './emulator-cases';

/**
 * What a refused request must leave as it was, read through the console API and the services themselves:
 * `<table>` or `table:<table>` (row count), `queue:<name>` (messages in it), `flow:<name>` (executions),
 * `oss` (objects under the fuzzer's prefix, and all of the bucket), `reports` (IoT reports listed).
 */
export interface StateReaders {
  gateway: string;
  adminToken: string;
  emulators?: EmulatorWorld;
}

async function getJson(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

export async function readState(keys: readonly string[], readers: StateReaders): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  if (keys.length === 0) return state;
  const tables = keys.some((k) => !k.includes(':') && !['oss', 'reports'].includes(k)) || keys.some((k) => k.startsWith('table:'))
    ? new Map(((await getJson(`${readers.gateway}/_local/api/tables`)) as { name: string; rows: number }[]).map((t) => [t.name, t.rows]))
    : undefined;
  for (const key of keys) {
    if (key.startsWith('queue:')) {
      const q = (await getJson(`${readers.gateway}/_local/api/queues/${encodeURIComponent(key.slice(6))}`)) as Record<string, unknown>;
      const counts = (q.attributes ?? q) as Record<string, number>;
      state[key] = `${counts.activeMessages}/${counts.inactiveMessages}/${counts.delayMessages}`;
    } else if (key.startsWith('flow:')) {
      const list = (await getJson(`${readers.gateway}/_local/api/executions?flow=${encodeURIComponent(key.slice(5))}&limit=500`)) as unknown[];
      state[key] = String(Array.isArray(list) ? list.length : JSON.stringify(list).length);
    } else if (key === 'reports') {
      state[key] = String(((await getJson(`${readers.gateway}/api/iot/reports`, { authorization: `Bearer ${readers.adminToken}` })) as { items: unknown[] }).items.length);
    } else if (key === 'oss') {
      state[key] = await ossObjectCount(readers.emulators!);
    } else {
      const name = key.startsWith('table:') ? key.slice(6) : key;
      state[key] = String(tables?.get(name));
    }
  }
  return state;
}

/** The keys the bucket lists (up to 1000), fuzzed names included wherever they landed. */
async function ossObjectCount(world: EmulatorWorld): Promise<string> {
  const date = new Date().toUTCString();
  const toSign = `GET\n\n\n${date}\nx-oss-security-token:${world.credentials.securityToken}\n/${world.bucket}/`;
  const authorization = `OSS ${world.credentials.accessKeyId}:${createHmac('sha1', world.credentials.accessKeySecret).update(toSign).digest('base64')}`;
  const res = await fetch(`${world.oss}/${world.bucket}/?max-keys=1000`, { headers: { date, authorization, 'x-oss-security-token': world.credentials.securityToken } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`listing the bucket answered ${res.status}: ${text.slice(0, 200)}`);
  return String((text.match(/<Contents>/g) ?? []).length);
}

/**
 * The keys whose values differ, with both values. A queue counts only when it grew: its consumers (the IoT ETL) drain
 * it meanwhile, which is not the refused request's doing.
 */
export function changed(before: Record<string, string>, after: Record<string, string>): string[] {
  const total = (counts: string | undefined) => (counts ?? '').split('/').reduce((sum, n) => sum + Number(n), 0);
  return Object.keys(before)
    .filter((k) => (k.startsWith('queue:') ? total(after[k]) > total(before[k]) : before[k] !== after[k]))
    .map((k) => `${k}: ${before[k]} → ${after[k]}`);
}
