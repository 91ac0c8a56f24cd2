/**
 * The plain checks in front of the IoT zod schemas (D67): they accept the well-formed ingest bodies and queue
 * messages the IoT path carries, and never accept anything the schemas refuse — checked on valid documents
 * and on thousands of mutations of them (a field removed, retyped, out of range, an extra key…).
 */
import { IngestBody, ReadingsMessage } from '#shared/contracts/iot';
import { isPlainIngestBody, isPlainReadingsMessage, parseReadingsMessage } from '#shared/contracts/iot-fast';
import { toMessages } from '../../functions/iot-ingest/core';
import { mulberry32 } from '../../scripts/iot/signals';

const now = 1_764_214_411_123;
const deviceId = `dev_${'a1'.repeat(13)}`;
const readings = (n: number) => Array.from({ length: n }, (_, i) => ({ ts: now - i * 10, metric: ['temperature', 'humidity', 'co2'][i % 3]!, value: 20 + i / 7, ...(i % 2 ? { seq: i } : {}), ...(i % 5 === 0 ? { unit: '°F' } : {}) }));
const message = () => JSON.parse(toMessages({ deviceId, type: 'env-sensor' }, readings(40), 'req-1', now)[0]!) as unknown;

/** A deterministic pseudo-random sequence (mulberry32), so a failure names a reproducible case. */
const random = mulberry32;

const ODD_VALUES: unknown[] = [undefined, null, 0, -1, 1.5, 1e12, 1e13, 999_999_999_999, Number.MAX_SAFE_INTEGER + 2, NaN, Infinity, '', 'x', 'Temperature', '1abc', 'a'.repeat(33), 'u'.repeat(17), true, [], {}, [1, 2], [now, 1], [now, 1, -1], [now, 1, 2, 3], { metric: 'co2', points: [] }, 1, 2];

/** Every value reachable in `doc` by a path, with a setter. */
function slots(doc: unknown, path: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [path];
  if (doc && typeof doc === 'object') for (const key of Object.keys(doc)) out.push(...slots((doc as Record<string, unknown>)[key], [...path, Array.isArray(doc) ? Number(key) : key]));
  return out;
}

function mutate(doc: unknown, next: () => number): unknown {
  const copy = structuredClone(doc);
  const all = slots(copy).filter((p) => p.length > 0);
  if (all.length === 0) return [copy];
  const path = all[Math.floor(next() * all.length)]!;
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], copy) as Record<string | number, unknown>;
  const key = path[path.length - 1]!;
  const choice = next();
  if (choice < 0.15) delete parent[key];
  else if (choice < 0.25 && !Array.isArray(parent)) parent[`extra${Math.floor(next() * 3)}`] = 1;
  else if (choice < 0.3 && !Array.isArray(parent)) parent.__proto__ = 1;
  else parent[key] = ODD_VALUES[Math.floor(next() * ODD_VALUES.length)];
  return copy;
}

describe('the plain IoT checks', () => {
  it('accept well-formed ingest bodies and queue messages, as the schemas do', () => {
    for (const n of [1, 2, 499, 500]) {
      const body = { readings: readings(n) };
      expect(IngestBody.safeParse(body).success).toBe(true);
      expect(isPlainIngestBody(body)).toBe(true);
    }
    const m = message();
    expect(ReadingsMessage.safeParse(m).success).toBe(true);
    expect(isPlainReadingsMessage(m)).toBe(true);
    expect(parseReadingsMessage(m)).toEqual(ReadingsMessage.safeParse(m));
  });

  it('leave the edge cases to zod: 501 readings, no readings, a JSON "__proto__" key, non-finite values', () => {
    expect(isPlainIngestBody({ readings: readings(501) })).toBe(false);
    expect(isPlainIngestBody({ readings: [] })).toBe(false);
    expect(isPlainIngestBody(JSON.parse(`{"readings":[{"ts":${now},"metric":"co2","value":1,"__proto__":{"x":1}}]}`))).toBe(false);
    expect(isPlainIngestBody({ readings: [{ ts: now, metric: 'co2', value: Infinity }] })).toBe(false);
    expect(isPlainIngestBody({ readings: [{ ts: now / 1000, metric: 'co2', value: 1 }] })).toBe(false);
  });

  it('never accept an ingest body the schema refuses', () => {
    const next = random(9);
    const base = { readings: readings(6) };
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const doc = mutate(next() < 0.3 ? mutate(base, next) : base, next);
      if (!isPlainIngestBody(doc)) continue;
      accepted++;
      expect({ i, doc, ok: IngestBody.safeParse(doc).success }).toEqual({ i, doc, ok: true });
    }
    // Some mutations keep the body valid (a value changed to another good one): those must still pass.
    expect(accepted).toBeGreaterThan(50);
  });

  it('never accept a queue message the schema refuses', () => {
    const next = random(11);
    const base = JSON.parse(toMessages({ deviceId, type: 'pump' }, readings(4).map((r) => ({ ...r, metric: 'flow' })), 'req-2', now)[0]!) as unknown;
    let accepted = 0;
    for (let i = 0; i < 4000; i++) {
      const doc = mutate(next() < 0.3 ? mutate(base, next) : base, next);
      if (!isPlainReadingsMessage(doc)) continue;
      accepted++;
      const zod = ReadingsMessage.safeParse(doc);
      expect({ i, doc, ok: zod.success }).toEqual({ i, doc, ok: true });
      // What zod answers is the document itself (nothing stripped or changed).
      expect(zod.data).toEqual(doc);
    }
    expect(accepted).toBeGreaterThan(50);
  });
});
