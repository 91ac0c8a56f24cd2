import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { TABLES } from '#shared/contracts/tables';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { openTableStoreEmulator, protos } from '../../scripts/local/emulators/tablestore';
import { activeResources, resourcesBeyond } from '../helpers/active-resources';
import { eventually } from '../helpers/eventually';

/**
 * The in-process TableStore emulator of unit tests (on a Unix socket, test/helpers/memory-table.ts) must not keep
 * the test process alive once its clients are idle (D104). The server's end of an idle keep-alive connection
 * stayed ref'd for its 65-s keepAliveTimeout, so a unit test file that had used the emulator held its jest
 * worker open until the client gave the socket up (Node's global agent: 5 s; an agent without a timeout: never)
 * — jest then force-exited the worker ("A worker process has failed to exit gracefully").
 */
describe('the in-process TableStore emulator', () => {
  it('keeps nothing alive once its SDK client is idle, though neither is closed', async () => {
    const before = activeResources();
    const instance = 'alive-test';
    const ots = openTableStoreEmulator({ instances: [instance], socketPath: join(tmpdir(), `ots-alive-${process.pid}-${Date.now()}.sock`) });
    const orders = TABLES.orders;
    ots.call(instance, 'CreateTable', protos.main.CreateTableRequest!.encode({
      tableMeta: { tableName: orders.name, primaryKey: [{ name: 'owner', type: 2 }, { name: 'orderId', type: 2 }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    } as never).finish());
    // A client that keeps idle sockets as long as the server does, as many real clients do.
    const agent = new Agent({ keepAlive: true });
    const table = new TableStoreTable({ endpoint: ots.endpoint, instance, credentials: LOCAL_CREDENTIALS, maxRetries: 0, httpOptions: { ...ots.httpOptions, agent }, schemas: [orders] });
    try {
      const pk = { owner: 'alive', orderId: `ord_alive_${Date.now()}` };
      await table.putRow(orders.name, pk, { status: 'PENDING' });
      expect(await table.getRow(orders.name, pk)).toMatchObject({ attributes: { status: 'PENDING' } });
      await eventually(() => expect(resourcesBeyond(before)).toEqual([]));
    } finally {
      agent.destroy();
      await ots.close();
    }
  });
});
