/**
 * The whole public surface of the official clients — `ali-oss`, `tablestore`, `@alicloud/mns`,
 * `@alicloud/fnf-2019-03-15` — against one local cloud as `npm start` runs it (gateway, emulators, functions), each
 * client in its default settings with the endpoints and credentials from `GET /_local/api/endpoints` (D155).
 * Every public method is called; what it is seen to do must be the class `test/helpers/sdk-surface.ts` gives it:
 * the cloud's answer (shape checked), the service's own refusal naming the feature, an SDK stub, or local-only.
 * A 500, a dropped connection, a parse error inside the SDK or a success where a refusal is due fails the row.
 * A method a newer SDK adds fails the completeness test until it is classified.
 * In-depth rows per SDK: test/integration/{oss-ali-oss-methods,tablestore-sdk-methods,mns-sdk-methods,fnf-sdk-methods}.
 */
import { join } from 'node:path';
import MNSClient from '@alicloud/mns';
import FnF from '@alicloud/fnf-2019-03-15';
import OSS from 'ali-oss';
import TableStore from 'tablestore';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import type { LocalEndpoints } from '../../scripts/local/endpoints';
import { resolveLocalhostNames } from '../../scripts/local/runtime/localhost-names';
import { METHOD_ROWS, type MethodEnv } from '../helpers/ali-oss-methods';
import { eventually } from '../helpers/eventually';
import { copyFixtureApp } from '../helpers/fixture-app';
import { photoLikeJpeg } from '../helpers/image-fixtures';
import type { RawResponse } from '../helpers/mns-raw';
import { MNS_METHOD_ROWS, mnsMethodEnv, type MnsMethodEnv } from '../helpers/mns-sdk-methods';
import { rowOutcome, type RowExpected } from '../helpers/row-outcome';
import { classOf, publicMethods, SURFACE, type Observed, type Sdk, type SurfaceClass } from '../helpers/sdk-surface';
import { JSON_APIS, REFUSED } from '../helpers/tablestore-sdk-methods';
import { tempDir } from '../helpers/temp';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const dir = tempDir('sdk-surface-');
let cloud: LocalCloud;
let endpoints: LocalEndpoints;
/** What each SDK method's calls were seen to do, filled by the rows. */
const seen: Record<Sdk, Map<string, Observed[]>> = { 'ali-oss': new Map(), tablestore: new Map(), '@alicloud/mns': new Map(), '@alicloud/fnf-2019-03-15': new Map() };
const record = (sdk: Sdk, row: string, observed: Observed) => {
  const method = row.split(' ')[0]!;
  seen[sdk].set(method, [...(seen[sdk].get(method) ?? []), observed]);
};

beforeAll(async () => {
  resolveLocalhostNames();
  const app = join(dir.path, 'app');
  copyFixtureApp('sdk-surface', app);
  cloud = await startLocalCloud({ root: app, port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false });
  endpoints = (await (await fetch(`${cloud.url}/_local/api/endpoints`)).json()) as LocalEndpoints;
}, 120_000);
afterAll(async () => {
  await cloud?.stop();
  dir.cleanup();
});

/**
 * ali-oss's answers: a thrown error carries status, code and requestId; a few methods set no success statuses and
 * resolve OSS's 501 refusal as their result (`{res, status}`). Other errors a row provokes on purpose (a 404 after
 * a delete, which ali-oss may also resolve) are checked by the row's own expectation.
 */
const resolvedRefusal = (result: Loose) => !(result instanceof Error) && Number(result?.res?.status) === 501;

describe('ali-oss, every method, default client options', () => {
  const bucket = `surface-${Date.now().toString(36)}`;
  let env: MethodEnv;
  let seq = 0;

  beforeAll(async () => {
    const { credentials, oss } = endpoints;
    const client = (name: string) =>
      new OSS({ region: `oss-${endpoints.region}`, endpoint: oss!.endpoint, accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret, stsToken: credentials.securityToken, bucket: name }) as Loose;
    const c = client(bucket);
    await c.putBucket(bucket);
    await c.putBucket(`${bucket}-o`);
    env = {
      client: c,
      otherClient: client(`${bucket}-o`),
      bucket,
      otherBucket: `${bucket}-o`,
      key: (name) => `row${seq}/${name}`,
      object: async (name, body = 'x', options = {}) => {
        const key = `row${seq}/${name}`;
        await c.put(key, Buffer.isBuffer(body) ? body : Buffer.from(body), options);
        return key;
      },
      photo: await photoLikeJpeg(120, 80, 80),
      endpoint: oss!.endpoint,
      v4: false,
    };
  });

  it.each(METHOD_ROWS.map((row) => [row.method, row] as const))('%s', async (_name, row) => {
    seq += 1;
    const { result, error } = await rowOutcome<Loose>(row.method, () => row.call(env));
    const expected = row.expected as RowExpected<MethodEnv>;
    if (expected.kind === 'ok') {
      if (error) throw new Error(`${row.method} failed: ${error.status ?? ''} ${error.code ?? ''} ${error.message}`);
      await expected.check?.(result, env);
      record('ali-oss', row.method, resolvedRefusal(result) ? 'refusal' : 'ok');
      return;
    }
    expect({ status: error?.status, code: error?.code }).toEqual({ status: expected.status, code: expected.code });
    expect(error?.message).toMatch(expected.names);
    expect(error?.requestId).toMatch(/^[0-9A-F]{24}$/);
    record('ali-oss', row.method, 'refusal');
  });
});

describe('@alicloud/mns, every method, default client options', () => {
  /** A row whose retried push waits on MNS's real back-off here (the in-depth test shortens it). */
  const WAITS_ON_RETRIES = new Set(['subscribe (a queue that does not exist yet)']);
  let env: MnsMethodEnv;

  beforeAll(() => {
    const { credentials, mns, region, accountId } = endpoints;
    const sdk = new MNSClient(accountId, { endpoint: mns!.endpoint, ...credentials });
    env = mnsMethodEnv({ sdk, endpoint: mns!.endpoint, credentials, region, accountId, prefix: 'sf-' });
  });

  const isRaw = (value: unknown): value is RawResponse => typeof value === 'object' && value !== null && 'status' in value && 'headers' in value && 'text' in value;

  it.each(MNS_METHOD_ROWS.filter((row) => !WAITS_ON_RETRIES.has(row.method)).map((row) => [row.method, row] as const))('%s', async (_name, row) => {
    const { result, error } = await rowOutcome<Loose>(row.method, () => row.call(env));
    const answered = isRaw(result) && result.status >= 400 ? result : undefined;
    if (row.expected.kind === 'ok') {
      if (error || answered) throw new Error(`${row.method} failed: ${error?.name ?? answered?.status} ${error?.message ?? answered?.text}`);
      await row.expected.check?.(result, env);
      record('@alicloud/mns', row.method, 'ok');
      return;
    }
    const { status, code, names } = row.expected;
    if (answered) {
      expect(answered.status).toBe(status);
      expect(answered.text).toContain(`<Code>${code}</Code>`);
      expect(answered.text).toMatch(names);
    } else {
      expect(error?.name).toBe(`MNS${code}Error`);
      expect(error?.message).toContain(`failed with ${status}.`);
      expect(error?.message).toMatch(names);
      expect(error?.message).toMatch(/requestid: [0-9A-F]{24}, hostid: \S+/);
    }
    record('@alicloud/mns', row.method, 'refusal');
  });
});

describe('tablestore, every method, default client options', () => {
  let client: Loose;
  const table = `surface_${Date.now().toString(36)}`;
  const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
  const capacity = { capacityUnit: { read: 0, write: 0 } };

  beforeAll(() => {
    const { credentials, tablestore } = endpoints;
    client = new TableStore.Client({ endpoint: tablestore!.endpoint, instancename: tablestore!.instance!, accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.accessKeySecret, stsToken: credentials.securityToken });
  });

  /** The emulated operations in the order a script meets them, each with its answer's shape (D95 has the depth). */
  const EMULATED_CALLS: [method: string, call: () => Promise<Loose>, check: (r: Loose) => boolean][] = [
    ['createTable', () => client.createTable({ tableMeta: { tableName: table, primaryKey: [{ name: 'id', type: 'STRING' }] }, reservedThroughput: capacity, tableOptions: { timeToLive: -1, maxVersions: 1 } }), (r) => r !== undefined],
    ['listTable', () => client.listTable({}), (r) => r.tableNames.includes(table)],
    ['describeTable', () => client.describeTable({ tableName: table }), (r) => r.tableMeta.tableName === table && r.tableOptions.maxVersions === 1],
    ['updateTable', () => client.updateTable({ tableName: table, tableOptions: { maxVersions: 1, timeToLive: -1 } }), (r) => r.tableOptions.maxVersions === 1 && r.tableOptions.timeToLive === -1],
    ['putRow', () => client.putRow({ tableName: table, condition: IGNORE(), primaryKey: [{ id: 'a' }], attributeColumns: [{ n: TableStore.Long.fromNumber(1) }, { s: 'red' }] }), (r) => r.consumed.capacityUnit.write >= 0],
    ['getRow', () => client.getRow({ tableName: table, primaryKey: [{ id: 'a' }] }), (r) => r.row.attributes.some((a: Loose) => a.columnName === 's' && a.columnValue === 'red')],
    ['updateRow', () => client.updateRow({ tableName: table, condition: IGNORE(), primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ PUT: [{ s: 'blue' }] }] }), (r) => r.consumed !== undefined],
    ['getRange', () => client.getRange({ tableName: table, direction: TableStore.Direction.FORWARD, inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }], limit: 10 }), (r) => r.rows.length === 1 && r.nextStartPrimaryKey === null],
    ['batchWriteRow', () => client.batchWriteRow({ tables: [{ tableName: table, rows: [{ type: 'PUT', condition: IGNORE(), primaryKey: [{ id: 'b' }], attributeColumns: [{ s: 'green' }] }] }] }), (r) => r.tables[0].isOk === true],
    ['batchGetRow', () => client.batchGetRow({ tables: [{ tableName: table, primaryKey: [[{ id: 'a' }], [{ id: 'b' }]] }] }), (r) => r.tables[0].length === 2 && r.tables[0].every((row: Loose) => row.isOk)],
    ['deleteRow', () => client.deleteRow({ tableName: table, condition: IGNORE(), primaryKey: [{ id: 'b' }] }), (r) => r.consumed !== undefined],
    ['createSearchIndex', () => client.createSearchIndex({ tableName: table, indexName: 'by_s', schema: { fieldSchemas: [{ fieldName: 's', fieldType: TableStore.FieldType.KEYWORD, index: true, enableSortAndAgg: true }] } }), (r) => r !== undefined],
    ['listSearchIndex', () => client.listSearchIndex({ tableName: table }), (r) => r.indices.some((i: Loose) => i.indexName === 'by_s')],
    ['describeSearchIndex', () => client.describeSearchIndex({ tableName: table, indexName: 'by_s' }), (r) => r.schema.fieldSchemas[0].fieldName === 's'],
    ['updateSearchIndex', () => client.updateSearchIndex({ tableName: table, indexName: 'by_s', timeToLive: -1 }), (r) => r !== undefined],
    [
      'search',
      () =>
        eventually(async () => {
          const r = await client.search({ tableName: table, indexName: 'by_s', searchQuery: { query: { queryType: TableStore.QueryType.TERM_QUERY, query: { fieldName: 's', term: 'blue' } }, getTotalCount: true }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_ALL } });
          if (r.rows.length !== 1) throw new Error(`not indexed yet: ${JSON.stringify(r.rows)}`);
          return r;
        }),
      (r) => r.rows[0].primaryKey[0].value === 'a' && Number(r.totalCounts) === 1,
    ],
    ['createIndex', () => client.createIndex({ mainTableName: table, indexMeta: { name: `${table}_by_id`, primaryKey: ['id'], definedColumn: [] }, includeBaseData: true }), (r) => r !== undefined],
    ['dropIndex', () => client.dropIndex({ mainTableName: table, indexName: `${table}_by_id` }), (r) => r !== undefined],
    ['deleteSearchIndex', () => client.deleteSearchIndex({ tableName: table, indexName: 'by_s' }), (r) => r !== undefined],
    ['deleteTable', () => client.deleteTable({ tableName: table }), (r) => r !== undefined],
  ];

  it.each(EMULATED_CALLS)('%s', async (method, call, check) => {
    const { result, error } = await rowOutcome<Loose>(method, call);
    if (error) throw new Error(`${method} failed: ${error.code} ${error.message}`);
    expect({ method, shape: check(result) }).toEqual({ method, shape: true });
    record('tablestore', method, 'ok');
  });

  it.each(REFUSED)('%s', async (method, params, named) => {
    const { error } = await rowOutcome<Loose>(method, () => client[method](params));
    expect(error).toMatchObject({ code: 400, message: expect.stringMatching(/OTSParameterInvalid/) });
    expect(error.message).toContain(`${named}`);
    expect(error.message).toContain('not supported by the local TableStore emulator');
    record('tablestore', method, 'refusal');
  });

  it.each(JSON_APIS)('%s (a JSON API)', async (method, params, named) => {
    const { error } = await rowOutcome<Loose>(method, () => client[method](params));
    expect(error).toMatchObject({ code: 'OTSParameterInvalid', message: expect.stringContaining(`(${named}) is not supported by the local TableStore emulator`) });
    record('tablestore', method, 'refusal');
  });
});

describe('@alicloud/fnf-2019-03-15, every method, default client options', () => {
  let client: Loose;
  let tokens: Loose;
  const stamp = Date.now().toString(36);
  const flow = `surface-${stamp}`;
  /** A one-task flow: fx-surface-token keeps the task token in the bucket, then the task waits for a report. */
  const definition = (name: string) =>
    [
      'Type: StateMachine',
      `Name: ${name}`,
      'SpecVersion: v1',
      'StartAt: Work',
      'States:',
      '  - Type: Task',
      '    Name: Work',
      '    Action: FC:InvokeFunction',
      '    TaskMode: WaitForCustomCallback',
      '    Parameters:',
      `      resourceArn: acs:fc:${endpoints.region}:${endpoints.accountId}:functions/fx-surface-token`,
      '      invocationType: Sync',
      '      body:',
      '        name.$: $Input.name',
      '        token.$: $Context.Current.TaskToken',
      '    End: true',
      '',
    ].join('\n');
  const start = (name: string) => client.startExecution({ FlowName: flow, ExecutionName: name, Input: JSON.stringify({ name }) });
  const tokenOf = (name: string) => eventually(async () => (await tokens.get(`tokens/${name}`)).content.toString() as string);
  const statusOf = (name: string) =>
    eventually(async () => {
      const doc = await client.describeExecution({ FlowName: flow, ExecutionName: name });
      if (doc.Status === 'Running') throw new Error(`${name} still running`);
      return doc;
    });

  beforeAll(() => {
    const { credentials, fnf, oss, region } = endpoints;
    client = new FnF({ endpoint: fnf!.endpoint, accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret, securityToken: credentials.securityToken, apiVersion: '2019-03-15' } as Loose);
    tokens = new OSS({ region: `oss-${region}`, endpoint: oss!.endpoint, accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret, stsToken: credentials.securityToken, bucket: 'fx-surface-tokens' });
  });

  const CALLS: [method: string, call: () => Promise<Loose>, check: (r: Loose) => boolean][] = [
    ['createFlow', () => client.createFlow({ Name: flow, Definition: definition(flow), Description: 'surface', Type: 'FDL' }), (r) => r.Name === flow && typeof r.Id === 'string' && typeof r.RequestId === 'string'],
    ['describeFlow', () => client.describeFlow({ Name: flow }), (r) => r.Name === flow && r.Definition.includes('WaitForCustomCallback')],
    ['updateFlow', () => client.updateFlow({ Name: flow, Description: 'surface, updated' }), (r) => r.Description === 'surface, updated'],
    ['listFlows', () => client.listFlows({ Limit: 100 }), (r) => r.Flows.some((f: Loose) => f.Name === flow)],
    ['startExecution', () => start('ok'), (r) => r.Name === 'ok' && r.FlowName === flow && r.Status === 'Running'],
    ['describeExecution', () => client.describeExecution({ FlowName: flow, ExecutionName: 'ok' }), (r) => r.Name === 'ok' && JSON.parse(r.Input).name === 'ok'],
    ['reportTaskSucceeded', async () => (await client.reportTaskSucceeded({ TaskToken: await tokenOf('ok'), Output: '{"paid":true}' }), statusOf('ok')), (r) => r.Status === 'Succeeded' && JSON.parse(r.Output).paid === true],
    ['reportTaskFailed', async () => (await start('no'), await client.reportTaskFailed({ TaskToken: await tokenOf('no'), Error: 'Declined', Cause: 'card' }), statusOf('no')), (r) => r.Status === 'Failed'],
    ['stopExecution', async () => (await start('stop'), await tokenOf('stop'), await client.stopExecution({ FlowName: flow, ExecutionName: 'stop', Error: 'Cancelled', Cause: 'user' }), statusOf('stop')), (r) => r.Status === 'Stopped'],
    ['listExecutions', () => client.listExecutions({ FlowName: flow, Limit: 10 }), (r) => ['ok', 'no', 'stop'].every((n) => r.Executions.some((x: Loose) => x.Name === n))],
    ['getExecutionHistory', () => client.getExecutionHistory({ FlowName: flow, ExecutionName: 'ok' }), (r) => r.Events.length > 0 && r.Events.some((e: Loose) => e.Type === 'ExecutionSucceeded')],
    ['deleteFlow', async () => (await client.deleteFlow({ Name: flow }), client.describeFlow({ Name: flow }).catch((err: Loose) => err)), (r) => r.code === 'FlowNotExists'],
  ];

  it.each(CALLS)('%s', async (method, call, check) => {
    const { result, error } = await rowOutcome<Loose>(method, call, 30_000);
    if (error) throw new Error(`${method} failed: ${error.code} ${error.message}`);
    expect({ method, shape: check(result), result }).toMatchObject({ method, shape: true });
    record('@alicloud/fnf-2019-03-15', method, 'ok');
  });

  it.each(['createSchedule', 'describeSchedule', 'listSchedules', 'updateSchedule', 'deleteSchedule'])('%s', async (method) => {
    const action = method[0]!.toUpperCase() + method.slice(1);
    const { error } = await rowOutcome<Loose>(method, () => client[method]({ FlowName: flow, ScheduleName: 's', CronExpression: '0 * * * * *', Limit: 10 }));
    expect({ code: error?.code, status: error?.entry?.response?.statusCode ?? error?.statusCode }).toMatchObject({ code: 'ActionNotSupported' });
    expect(error.message).toContain(`'${action}' is not emulated by the local CloudFlow`);
    expect(error.data).toMatchObject({ Code: 'ActionNotSupported', RequestId: expect.any(String), HostId: expect.any(String) });
    record('@alicloud/fnf-2019-03-15', method, 'refusal');
  });
});

describe('the surface, classified', () => {
  const instances = (): Record<Sdk, object> => {
    const { credentials } = endpoints;
    return {
      'ali-oss': new OSS({ region: 'oss-cn-hangzhou', accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret, bucket: 'any-bucket' }),
      tablestore: new TableStore.Client({ endpoint: endpoints.tablestore!.endpoint, instancename: 'i', accessKeyId: 'a', secretAccessKey: 'b' }),
      '@alicloud/mns': new MNSClient(endpoints.accountId, { endpoint: endpoints.mns!.endpoint, ...credentials }),
      '@alicloud/fnf-2019-03-15': new FnF({ endpoint: endpoints.fnf!.endpoint, accessKeyId: 'a', accessKeySecret: 'b', apiVersion: '2019-03-15' } as Loose),
    };
  };
  /** What the installed SDK exposes: ali-oss and MNS keep `_` for internals; tablestore and FnF expose everything. */
  const surfaceOf = (sdk: Sdk, instance: object) => publicMethods(instance, { underscored: sdk === 'tablestore' || sdk === '@alicloud/fnf-2019-03-15' });

  it.each(Object.keys(SURFACE) as Sdk[])('%s: every public method of the installed client has a class, and no class names a method it lacks', (sdk) => {
    const methods = surfaceOf(sdk, instances()[sdk]);
    expect(methods.filter((m) => SURFACE[sdk][m] === undefined)).toEqual([]);
    expect(Object.keys(SURFACE[sdk]).filter((m) => !methods.includes(m))).toEqual([]);
  });

  it.each(Object.keys(SURFACE) as Sdk[])('%s: each method did what its class says when called', (sdk) => {
    const wrong: { method: string; declared: SurfaceClass; observed: SurfaceClass | undefined }[] = [];
    for (const [method, declared] of Object.entries(SURFACE[sdk])) {
      const observed = classOf(seen[sdk].get(method) ?? []);
      // A stub is reached by a signed request of the user's own; its rows check the SDK still sends nothing.
      const expected = declared === 'stub' ? 'emulated' : declared === 'local' ? undefined : declared;
      if (observed !== expected) wrong.push({ method, declared, observed });
    }
    expect(wrong).toEqual([]);
  });
});
