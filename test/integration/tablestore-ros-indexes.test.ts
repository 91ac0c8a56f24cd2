import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import TableStore from 'tablestore';
import { startLocalTableStore, type LocalTableStore } from '../../scripts/local/local-tablestore';
import { loadSpec } from '../../scripts/local/spec/load';
import { loadRosInfra } from '../../scripts/local/spec/ros';
import type { AppSpec } from '../../scripts/local/spec/model';
import { rosProblems, type TemplateSite } from '../../scripts/validate/platform/ros-rules';
import { parse } from 'yaml';
import { tempDir } from '../helpers/temp';

/**
 * A ROS template's `ALIYUN::OTS::Table` with `Columns` (predefined columns) and `SecondaryIndices` gives the
 * local TableStore those indexes at start (D158, Later), read back through the official SDK; an index added to
 * the template later is built from the table's rows on the next start, one removed is left in place.
 */
const ROOT = join(__dirname, '..', '..');

const template = (indexes: string) => `ROSTemplateFormatVersion: '2015-09-01'
Resources:
  OrdersTable:
    Type: ALIYUN::OTS::Table
    Properties:
      InstanceName: rosidx
      TableName: orders
      PrimaryKey:
        - { Name: id, Type: STRING }
      Columns:
        - { Name: customer, Type: STRING }
        - { Name: total, Type: INTEGER }
      SecondaryIndices:
${indexes}
`;
const BY_CUSTOMER = `        - { IndexName: orders_by_customer, IndexType: Global, PrimaryKeys: [customer], Columns: [total] }`;
const BY_TOTAL = `        - { IndexName: orders_by_total, PrimaryKeys: [total], Columns: [] }`;

describe('ROS SecondaryIndices provisioned in the local TableStore', () => {
  const dir = tempDir('ts-ros-indexes-');
  const base = loadSpec(join(ROOT, 's.yaml'), { ...process.env });
  let open: LocalTableStore | undefined;

  const specWith = (indexes: string): AppSpec => {
    writeFileSync(join(dir.path, 'ros.yaml'), template(indexes));
    const infra = loadRosInfra({ template: 'ros.yaml' }, dir.path, 'resources.ros.props');
    return { ...base, functions: [], infra };
  };
  const start = async (spec: AppSpec) => {
    await open?.close();
    open = await startLocalTableStore(spec, { dataDir: join(dir.path, 'data'), port: 0 });
    return open.client('rosidx');
  };
  const rangeOf = async (ots: TableStore.Client, index: string, first: string) => {
    const { rows } = await ots.getRange({
      tableName: index,
      direction: TableStore.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ [first]: TableStore.INF_MIN }, { id: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ [first]: TableStore.INF_MAX }, { id: TableStore.INF_MAX }],
    });
    return rows.map((r) => [...(r.primaryKey ?? []).map((k) => String(k.value)), ...(r.attributes ?? []).map((a) => `${a.columnName}=${String(a.columnValue)}`)]);
  };

  afterAll(async () => {
    await open?.close();
    dir.cleanup();
  });

  it('creates the table with its predefined columns and index, which getRange reads', async () => {
    const ots = await start(specWith(BY_CUSTOMER));
    const described = await ots.describeTable({ tableName: 'orders' });
    expect(described.tableMeta.definedColumn?.map((c) => c.name)).toEqual(['customer', 'total']);
    expect(described.indexMetas.map((i) => [i.name, i.primaryKey, i.definedColumn, i.indexType])).toEqual([['orders_by_customer', ['customer', 'id'], ['total'], TableStore.IndexType.IT_GLOBAL_INDEX]]);
    await ots.putRow({ tableName: 'orders', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null), primaryKey: [{ id: 'o-1' }], attributeColumns: [{ customer: 'ann' }, { total: TableStore.Long.fromNumber(30) }] });
    expect(await rangeOf(ots, 'orders_by_customer', 'customer')).toEqual([['ann', 'o-1', 'total=30']]);
  });

  it('leaves an unchanged table alone on a restart, and builds an index added since from the rows', async () => {
    await start(specWith(BY_CUSTOMER));
    expect((await open!.emulator.requestLog()).recent.map((r) => r.operation)).toEqual([]);
    const ots = await start(specWith(`${BY_CUSTOMER}\n${BY_TOTAL}`));
    const operations = (await open!.emulator.requestLog()).recent.map((r) => r.operation);
    expect(operations).toContain('CreateIndex');
    expect(operations).not.toContain('DropIndex');
    expect(await rangeOf(ots, 'orders_by_total', 'total')).toEqual([['30', 'o-1']]);
  });

  it('leaves an index the template no longer declares in place, with a warning naming it', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const ots = await start(specWith(BY_CUSTOMER));
      expect((await ots.describeTable({ tableName: 'orders' })).indexMetas.map((i) => i.name).sort()).toEqual(['orders_by_customer', 'orders_by_total']);
      expect(warn.mock.calls.flat().join('\n')).toMatch(/orders_by_total, which the ROS template no longer declares/);
    } finally {
      warn.mockRestore();
    }
  });

  it('drops and builds again an index whose columns changed in the template, with the rows it held', async () => {
    const ots = await start(specWith(BY_CUSTOMER.replace('Columns: [total]', 'Columns: []')));
    expect((await open!.emulator.requestLog()).recent.map((r) => r.operation)).toEqual(expect.arrayContaining(['DropIndex', 'CreateIndex']));
    expect(await rangeOf(ots, 'orders_by_customer', 'customer')).toEqual([['ann', 'o-1']]);
  });

  it('stops the start when the template adds a predefined column the existing table lacks, naming it', async () => {
    const spec = specWith(BY_CUSTOMER);
    const table = spec.infra.tables[0]!;
    const withColumn: AppSpec = { ...spec, infra: { ...spec.infra, tables: [{ ...table, definedColumns: [...table.definedColumns, { name: 'note', type: 'STRING' }] }] } };
    await expect(start(withColumn)).rejects.toThrow(/table orders in the data folder lacks the predefined column\(s\) note:STRING/);
    open = undefined;
  });

  it('creates again, from the rows, a declared index dropped through the API since', async () => {
    let ots = await start(specWith(BY_CUSTOMER));
    await ots.dropIndex({ mainTableName: 'orders', indexName: 'orders_by_customer' });
    ots = await start(specWith(BY_CUSTOMER));
    expect((await open!.emulator.requestLog()).recent.map((r) => r.operation)).toContain('CreateIndex');
    expect(await rangeOf(ots, 'orders_by_customer', 'customer')).toEqual([['ann', 'o-1', 'total=30']]);
  });

  it('is accepted by the template check of npm run validate, which names a bad entry by its property', () => {
    const SITE: TemplateSite = { file: 'infra/ros.yaml', resource: 'infra' };
    const parsed = parse(template(`${BY_CUSTOMER}\n${BY_TOTAL}`)) as Parameters<typeof rosProblems>[0];
    expect(rosProblems(parsed, {}, 'cn-hangzhou', '1234567890', SITE)).toEqual([]);
    const bad = parse(template(`        - { IndexName: x, IndexType: GLOBAL_INDEX, PrimaryKeys: [customer] }`)) as Parameters<typeof rosProblems>[0];
    expect(rosProblems(bad, {}, 'cn-hangzhou', '1234567890', SITE)).toEqual([
      'infra/ros.yaml Resources.OrdersTable.Properties.SecondaryIndices[0].Columns: required by a SecondaryIndices entry',
      'infra/ros.yaml Resources.OrdersTable.Properties.SecondaryIndices[0].IndexType: must be Global or Local (got "GLOBAL_INDEX")',
    ]);
  });

  it('refuses a SecondaryIndices entry naming a column the table does not declare, by its property path', () => {
    expect(() => specWith(`        - { IndexName: bad, PrimaryKeys: [customer], Columns: [colour] }`)).toThrow(
      /Resources\.OrdersTable\.Properties\.SecondaryIndices\[0\]\.Columns: colour is not one of the table's Columns/,
    );
    expect(() => specWith(`        - { IndexName: bad, IndexType: GLOBAL_INDEX, PrimaryKeys: [customer], Columns: [] }`)).toThrow(/SecondaryIndices\[0\]\.IndexType: GLOBAL_INDEX: ROS takes Global or Local/);
  });
});
