import { createHash } from 'node:crypto';
import { TABLES } from './contracts/tables';
import { ConditionFailedError } from './errors';
import type { Table } from './ports/table';

/**
 * Idempotency keys on the Table port (`idempotency`, rows kept 24 h by TTL). A key is claimed with a
 * conditional put (EXPECT_NOT_EXIST), so of any number of concurrent requests with one key exactly one
 * claims it; the others read what the winner stored. The fingerprint of the request travels with the key,
 * so a key reused for a different request is told apart from a retry.
 */
const T = TABLES.idempotency.name;

/** SHA-256 of a value's canonical JSON (object keys sorted), so key order and spacing do not matter. */
export function fingerprint(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export type Claim = { claimed: true } | { claimed: false; fingerprint: string; data: Record<string, string> };

/**
 * Claim `key` for a request, storing `data` with it.
 * @example const claim = await claimKey(table, `order:${user}:${key}`, fingerprint(body), { orderId }, now);
 */
export async function claimKey(table: Table, key: string, requestFingerprint: string, data: Record<string, string>, now: number): Promise<Claim> {
  try {
    await table.putRow(T, { key }, { fingerprint: requestFingerprint, data: JSON.stringify(data), createdAt: now }, { condition: { row: 'EXPECT_NOT_EXIST' } });
    return { claimed: true };
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
  }
  const row = await table.getRow(T, { key });
  // Gone between the two calls (expired by TTL): claim again.
  if (!row) return claimKey(table, key, requestFingerprint, data, now);
  return { claimed: false, fingerprint: String(row.attributes.fingerprint), data: JSON.parse(String(row.attributes.data)) as Record<string, string> };
}

/**
 * Point a claimed key at another request, only if it still holds `previousFingerprint` (for keys whose
 * first request never took effect). Answers false when someone else changed it first.
 */
export async function reclaimKey(table: Table, key: string, previousFingerprint: string, requestFingerprint: string, data: Record<string, string>, now: number): Promise<boolean> {
  try {
    await table.updateRow(T, { key }, { put: { fingerprint: requestFingerprint, data: JSON.stringify(data), createdAt: now } }, {
      condition: { row: 'EXPECT_EXIST', columns: { column: 'fingerprint', op: 'EQ', value: previousFingerprint, passIfMissing: false } },
    });
    return true;
  } catch (err) {
    if (err instanceof ConditionFailedError) return false;
    throw err;
  }
}

/**
 * Give a claimed key back when its request failed before it took effect, so the client's retry claims it
 * afresh instead of waiting for a request that is gone (only while the key still holds this fingerprint).
 */
export async function releaseKey(table: Table, key: string, requestFingerprint: string): Promise<void> {
  try {
    await table.deleteRow(T, { key }, { condition: { row: 'EXPECT_EXIST', columns: { column: 'fingerprint', op: 'EQ', value: requestFingerprint, passIfMissing: false } } });
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
  }
}

/** Whether `key` was seen before; records it if not (at-most-once markers, e.g. webhook deliveries). */
export async function seenBefore(table: Table, key: string, now: number): Promise<boolean> {
  const claim = await claimKey(table, key, 'seen', {}, now);
  return !claim.claimed;
}

export async function hasKey(table: Table, key: string): Promise<boolean> {
  return (await table.getRow(T, { key }, { columns: ['fingerprint'] })) !== undefined;
}

export async function putKey(table: Table, key: string, now: number): Promise<void> {
  await table.putRow(T, { key }, { fingerprint: 'seen', data: '{}', createdAt: now });
}
