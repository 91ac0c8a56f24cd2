/**
 * The TableStore emulator's HTTP front as the `tablestore` SDK in its default settings meets it (D92): one
 * keep-alive connection carries a client's calls, answers and errors alike; a client hanging up mid-body is an
 * abort, not an emulator error; the request log stays bounded.
 */
import http from 'node:http';
import net from 'node:net';
import TableStore from 'tablestore';
import { eventually } from '../helpers/eventually';
import { useTestTableStore } from '../helpers/tablestore';

const table = 'http_kv';

describe('TableStore emulator over HTTP', () => {
  const ots = useTestTableStore({ tables: [{ name: table, primaryKey: [{ name: 'id', type: 'STRING' }] }] });

  const getRow = (id: string, tableName = table) => ots.client.getRow({ tableName, primaryKey: [{ id }] });

  it('serves a client’s calls, answers and errors alike, over one keep-alive connection', async () => {
    await ots.client.putRow({ tableName: table, condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: 'x' }] });
    // The SDK sends through Node's global agent (keep-alive): count the connections it opens from here on.
    const agent = http.globalAgent as http.Agent & { createConnection: (...args: unknown[]) => net.Socket };
    const opened: net.Socket[] = [];
    const createConnection = agent.createConnection;
    agent.createConnection = function (this: unknown, ...args: unknown[]) {
      const socket = createConnection.apply(this, args);
      opened.push(socket);
      return socket;
    };
    try {
      for (let i = 0; i < 20; i++) {
        expect((await getRow('a')).row.attributes).toHaveLength(1);
        await expect(getRow('a', 'no_such_table')).rejects.toMatchObject({ code: 404 });
      }
    } finally {
      agent.createConnection = createConnection;
    }
    expect(opened.length).toBeLessThanOrEqual(1);
  });

  it('answers with keep-alive and without Connection: close, for rows and for errors', async () => {
    const answers = await Promise.all(
      ['GetRow', 'NoSuchOperation'].map(
        (operation) =>
          new Promise<http.IncomingMessage>((resolve, reject) => {
            const url = new URL(`${ots.endpoint}/${operation}`);
            // Unsigned: refused (400/403), which must not close the connection either.
            const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: new http.Agent({ keepAlive: true }), headers: { 'content-length': '0' } }, (res) => {
              res.resume();
              res.on('end', () => resolve(res));
            });
            req.on('error', reject);
            req.end();
          }),
      ),
    );
    for (const res of answers) {
      expect(res.statusCode).toBeGreaterThanOrEqual(400);
      expect(res.headers.connection).toBe('keep-alive');
      expect(res.headers['x-ots-requestid']).toMatch(/^[0-9a-f]{32}$/);
      expect(res.headers['x-ots-contentmd5']).toEqual(expect.any(String));
    }
  });

  it('records a client hanging up mid-body as an abort, not an emulator error, and keeps serving', async () => {
    const before = ots.emulator.aborts.length;
    const url = new URL(ots.endpoint);
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => {
        socket.write(`POST /GetRow HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 100\r\n\r\n0123456789`, () => {
          socket.destroy();
          resolve();
        });
      });
      socket.on('error', reject);
    });
    await eventually(() => expect(ots.emulator.aborts.length).toBeGreaterThan(before));
    expect(ots.emulator.internalErrors).toEqual([]);
    expect((await getRow('a')).row.attributes).toHaveLength(1);
  });

  it('keeps the last requests in its log, bounded, newest last', async () => {
    for (let i = 0; i < 2100; i++) await getRow(`log-${i}`);
    const log = ots.emulator.requests;
    expect(log.length).toBeGreaterThanOrEqual(1000);
    expect(log.length).toBeLessThan(2000);
    expect(log.at(-1)).toEqual({ operation: 'GetRow', status: 200 });
  });
});
