import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { startLocalTableStore, type LocalTableStore } from '../../scripts/local/local-tablestore';
import { loadSpec } from '../../scripts/local/spec/load';
import type { AppSpec } from '../../scripts/local/spec/model';
import { tempDir } from '../helpers/temp';

/**
 * The local cloud provisions the tables and search indexes of `infra/ros.yaml` through the emulator's own API at
 * every start, like a deploy — and a later start over a data folder that already holds exactly that makes no
 * calls at all (they were ~50 SDK round trips on the start's critical path). Anything changed since, by the
 * template or through the API, is provisioned again.
 */
const ROOT = join(__dirname, '..', '..');

describe('TableStore provisioning at start', () => {
  const dir = tempDir('ts-provision-');
  const spec = loadSpec(join(ROOT, 's.yaml'), { ...process.env });
  const ttlTable = spec.infra.tables.find((t) => t.ttlSeconds > 0)!;
  const index = spec.infra.searchIndexes[0]!;
  let open: LocalTableStore | undefined;

  const start = async (withSpec: AppSpec = spec) => {
    await open?.close();
    open = await startLocalTableStore(withSpec, { dataDir: dir.path, port: 0 });
    return open;
  };
  const operations = async (ts: LocalTableStore) => (await ts.emulator.requestLog()).recent.map((r) => r.operation);

  afterAll(async () => {
    await open?.close();
    dir.cleanup();
  });

  it('creates everything declared on the first start, through CreateTable and CreateSearchIndex', async () => {
    expect(ttlTable).toBeDefined();
    expect(index).toBeDefined();
    const ts = await start();
    expect((await operations(ts)).filter((o) => o === 'CreateTable')).toHaveLength(spec.infra.tables.length);
    expect((await operations(ts)).filter((o) => o === 'CreateSearchIndex')).toHaveLength(spec.infra.searchIndexes.length);
  });

  it('makes no call on a later start when nothing changed', async () => {
    const ts = await start();
    expect(await operations(ts)).toEqual([]);
    const described = await ts.client(ttlTable.instance).describeTable({ tableName: ttlTable.name });
    expect(described.tableOptions.timeToLive).toBe(ttlTable.ttlSeconds);
  });

  it('puts back a TTL changed through the API since', async () => {
    let ts = await start();
    await ts.client(ttlTable.instance).updateTable({ tableName: ttlTable.name, tableOptions: { timeToLive: ttlTable.ttlSeconds + 86_400, maxVersions: ttlTable.maxVersions } });
    ts = await start();
    expect(await operations(ts)).toContain('UpdateTable');
    expect((await ts.client(ttlTable.instance).describeTable({ tableName: ttlTable.name })).tableOptions.timeToLive).toBe(ttlTable.ttlSeconds);
    expect(await operations(await start())).toEqual([]);
  });

  it('creates again a search index deleted through the API since', async () => {
    let ts = await start();
    await ts.client(index.instance).deleteSearchIndex({ tableName: index.table, indexName: index.index });
    ts = await start();
    expect(await operations(ts)).toContain('CreateSearchIndex');
    const { indices } = await ts.client(index.instance).listSearchIndex({ tableName: index.table });
    expect(indices.map((i) => i.indexName)).toContain(index.index);
  });

  it('applies a template changed since (a new TTL), and provisions again when the record is gone', async () => {
    const changed: AppSpec = { ...spec, infra: { ...spec.infra, tables: spec.infra.tables.map((t) => (t === ttlTable ? { ...t, ttlSeconds: t.ttlSeconds * 2 } : t)) } };
    let ts = await start(changed);
    expect(await operations(ts)).toContain('UpdateTable');
    expect((await ts.client(ttlTable.instance).describeTable({ tableName: ttlTable.name })).tableOptions.timeToLive).toBe(ttlTable.ttlSeconds * 2);
    rmSync(join(dir.path, 'tablestore.provisioned'));
    ts = await start(changed);
    expect(await operations(ts)).toContain('CreateTable');
  });
});
