import { join } from 'node:path';
import { ALL_TABLES } from '#shared/contracts/tables';
import type { TableSchema } from '#shared/ports/table';
import { loadSpec } from '../../scripts/local/spec/load';
import type { InfraSpec } from '../../scripts/local/spec/model';

/**
 * The tables the code uses (`functions/_shared/contracts/tables.ts`) and the tables `infra/ros.yaml`
 * creates (read through the local cloud's ROS loader, `scripts/local/spec/ros.ts`) must be the same:
 * names, primary key columns in order with their types, and TTL. Compared generically in both
 * directions, so a table added on one side only fails here with its name.
 */
type InfraTable = InfraSpec['tables'][number];

const pkText = (pk: readonly { name: string; type: string }[]) => pk.map((k) => `${k.name}:${k.type}`).join(', ');
/** TableStore's "keep forever" is -1; the code omits ttlSeconds for it. */
const ttlOf = (schema: TableSchema) => schema.ttlSeconds ?? -1;

function tableMismatches(code: readonly TableSchema[], infra: readonly InfraTable[]): string[] {
  const problems: string[] = [];
  const duplicates = (names: string[]) => names.filter((name, i) => names.indexOf(name) !== i);
  for (const name of duplicates(code.map((t) => t.name))) problems.push(`${name}: declared twice in tables.ts`);
  for (const name of duplicates(infra.map((t) => t.name))) problems.push(`${name}: declared twice in the ROS template`);
  for (const schema of code) {
    const declared = infra.find((t) => t.name === schema.name);
    if (!declared) {
      problems.push(`${schema.name}: in tables.ts, missing from the ROS template`);
      continue;
    }
    if (pkText(schema.primaryKey) !== pkText(declared.primaryKey)) {
      problems.push(`${schema.name}: primary key is [${pkText(schema.primaryKey)}] in tables.ts, [${pkText(declared.primaryKey)}] in the ROS template`);
    }
    if (ttlOf(schema) !== declared.ttlSeconds) problems.push(`${schema.name}: TTL is ${ttlOf(schema)} in tables.ts, ${declared.ttlSeconds} in the ROS template`);
  }
  for (const declared of infra) {
    if (!code.some((t) => t.name === declared.name)) problems.push(`${declared.name}: in the ROS template, missing from tables.ts`);
  }
  return problems;
}

describe('TableStore tables: code and infra agree', () => {
  const spec = loadSpec(join(__dirname, '..', '..', 's.yaml'), {});
  const infra = spec.infra.tables;

  it('has the same tables, primary keys and TTLs on both sides', () => {
    expect(ALL_TABLES.length).toBeGreaterThan(0);
    expect(tableMismatches(ALL_TABLES, infra)).toEqual([]);
  });

  it('creates every table on a TableStore instance the template declares', () => {
    const strays = infra.filter((t) => !spec.infra.otsInstances.includes(t.instance)).map((t) => `${t.name} on ${t.instance}`);
    expect(strays).toEqual([]);
  });

  describe('the comparison catches', () => {
    const [first, ...rest] = ALL_TABLES;
    const declaredFirst = infra.find((t) => t.name === first!.name)!;
    const others = infra.filter((t) => t !== declaredFirst);

    it('a table on one side only', () => {
      expect(tableMismatches(rest, infra)).toEqual([`${first!.name}: in the ROS template, missing from tables.ts`]);
      expect(tableMismatches(ALL_TABLES, others)).toEqual([`${first!.name}: in tables.ts, missing from the ROS template`]);
    });

    it('a primary key column renamed, retyped or added', () => {
      const renamed = { ...declaredFirst, primaryKey: [{ ...declaredFirst.primaryKey[0]!, name: 'renamed' }, ...declaredFirst.primaryKey.slice(1)] };
      const retyped = { ...declaredFirst, primaryKey: declaredFirst.primaryKey.map((k) => ({ ...k, type: k.type === 'INTEGER' ? ('STRING' as const) : ('INTEGER' as const) })) };
      const extended = { ...declaredFirst, primaryKey: [{ name: 'extra', type: 'STRING' as const }, ...declaredFirst.primaryKey] };
      for (const changed of [renamed, retyped, extended]) {
        expect(tableMismatches(ALL_TABLES, [...others, changed])).toEqual([expect.stringMatching(new RegExp(`^${first!.name}: primary key is \\[`))]);
      }
    });

    it('a different TTL', () => {
      const changed = { ...declaredFirst, ttlSeconds: declaredFirst.ttlSeconds === 3600 ? 7200 : 3600 };
      expect(tableMismatches(ALL_TABLES, [...others, changed])).toEqual([`${first!.name}: TTL is ${ttlOf(first!)} in tables.ts, ${changed.ttlSeconds} in the ROS template`]);
    });
  });
});
