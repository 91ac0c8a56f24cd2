import { issueToken, type AuthUser } from '#shared/auth';
import type { HttpTriggerResponse } from '#shared/fc/types';
import { createHandler as devicesHandler } from '../../functions/iot-devices/handler';
import { createHandler as etlHandler } from '../../functions/iot-etl/handler';
import { createHandler as reportHandler } from '../../functions/iot-report/handler';
import { readRaw } from '#shared/iot/rows';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceSignal, PROFILES } from '../../scripts/iot/signals';
import { MemoryObjectStore, fakeContext, httpEvent } from '../helpers/fakes';
import { iotWorld } from '../helpers/iot';

const JWT = 'unit-test-jwt-secret-0123456789abcdefghij';
const token = async (user: AuthUser) => `Bearer ${(await issueToken(user, JWT)).token}`;
const ADMIN: AuthUser = { username: 'admin', role: 'admin', displayName: 'Admin' };
const ALICE: AuthUser = { username: 'alice', role: 'user', displayName: 'Alice' };

async function call(handler: (e: Buffer, c: ReturnType<typeof fakeContext>) => Promise<unknown>, event: Buffer) {
  const res = (await handler(event, fakeContext())) as HttpTriggerResponse;
  return { status: res.statusCode, headers: res.headers ?? {}, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : undefined };
}

describe('IoT HTTP edges', () => {
  it('registers devices for admins only, and lets any signed-in user read', async () => {
    const world = iotWorld();
    const handler = devicesHandler(() => ({ table: world.table, clock: world.clock, secrets: world.secrets }), () => JWT);
    const register = (auth?: string) => httpEvent('POST', '/api/iot/devices', { body: JSON.stringify({ name: 'boiler', type: 'pump' }), headers: auth ? { authorization: auth } : {} });
    expect((await call(handler, register())).status).toBe(401);
    expect((await call(handler, register(await token(ALICE)))).status).toBe(403);
    const created = await call(handler, register(await token(ADMIN)));
    expect(created).toMatchObject({ status: 201, headers: { 'cache-control': 'no-store' }, body: { name: 'boiler', type: 'pump', secret: expect.any(String) } });
    const deviceId = String(created.body!.deviceId);

    const list = await call(handler, httpEvent('GET', '/api/iot/devices', { headers: { authorization: await token(ALICE) } }));
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(String(created.body!.secret));
    expect((await call(handler, httpEvent('GET', `/api/iot/devices/${deviceId}/latest`, { headers: { authorization: await token(ALICE) } }))).body).toMatchObject({ deviceId, status: 'never' });
    expect((await call(handler, httpEvent('GET', `/api/iot/devices/${deviceId}/series`, { query: { metric: 'flow' }, headers: { authorization: await token(ALICE) } }))).body).toMatchObject({ resolution: 'raw', points: [] });
    const bad = await call(handler, httpEvent('GET', '/api/iot/devices/not-an-id/series', { query: { metric: 'flow' }, headers: { authorization: await token(ALICE) } }));
    expect(bad).toMatchObject({ status: 400, body: { error: { details: [{ path: 'path.deviceId' }] } } });
    expect((await call(handler, httpEvent('POST', `/api/iot/devices/${deviceId}/secret`, { headers: { authorization: await token(ALICE) } }))).status).toBe(403);
    expect((await call(handler, httpEvent('GET', '/api/iot/alerts', { query: { limit: '0' }, headers: { authorization: await token(ALICE) } }))).body).toMatchObject({ error: { details: [{ path: 'query.limit' }] } });
  });

  it('writes reports for admins over HTTP and every day from the timer', async () => {
    const world = iotWorld(Date.UTC(2026, 10, 25, 0, 10));
    const objects = new MemoryObjectStore();
    const handler = reportHandler(() => ({ table: world.table, objects, clock: world.clock }), () => JWT);
    const post = async (body: unknown, user: AuthUser) => call(handler, httpEvent('POST', '/api/iot/reports', { body: JSON.stringify(body), headers: { authorization: await token(user) } }));
    expect((await post({ from: 0, to: 1000 }, ALICE)).status).toBe(403);
    expect(await post({ from: 2000, to: 1000 }, ADMIN)).toMatchObject({ status: 400, body: { error: { details: [{ path: 'body.to' }] } } });
    expect(await post({ from: '2026-11-24T00:00:00Z', to: '2026-11-24T12:00:00Z' }, ADMIN)).toMatchObject({ status: 201, body: { key: expect.stringMatching(/^reports\/rpt_.+\.csv$/), url: expect.any(String) } });
    const timer = Buffer.from(JSON.stringify({ triggerTime: '2026-11-25T00:10:00Z', triggerName: 'daily', payload: '{"op":"daily-report"}' }));
    expect(await handler(timer, fakeContext())).toEqual({ reportId: 'daily-2026-11-24', key: 'reports/daily-2026-11-24.csv', rows: 0 });
    const list = await call(handler, httpEvent('GET', '/api/iot/reports', { headers: { authorization: await token(ADMIN) } }));
    expect((list.body!.items as { reportId: string }[]).map((r) => r.reportId)).toContain('daily-2026-11-24');
  });
});

describe('iot-etl edge', () => {
  const fixture = readFileSync(join(__dirname, '..', 'fixtures', 'events', 'mns-queue', 'event-streaming-batch.json'));

  it('stores the readings of an eventbridge batch', async () => {
    const world = iotWorld(Date.UTC(2026, 10, 25, 12, 0, 1));
    const handler = etlHandler(() => ({ table: world.table, clock: world.clock }));
    expect(await handler(fixture, fakeContext())).toMatchObject({ messages: 2, readings: 4, stored: 4 });
    expect((await readRaw(world.table, 'dev_01m8bqd0mymt5z3tzw5wexwahn', 'pressure', 0, Date.UTC(2027, 0))).map((r) => r.value)).toEqual([4.52]);
  });

  it('fails the invocation for a message it cannot process, after storing the others', async () => {
    const world = iotWorld(Date.UTC(2026, 10, 25, 12, 0, 1));
    const handler = etlHandler(() => ({ table: world.table, clock: world.clock }));
    const events = JSON.parse(fixture.toString()) as { data: { messageBody: string } }[];
    events[1]!.data.messageBody = 'not a readings message';
    await expect(handler(Buffer.from(JSON.stringify(events)), fakeContext())).rejects.toThrow(/1 of 2 message\(s\) could not be processed .*body is not JSON\); the others are stored/);
    expect(await readRaw(world.table, 'dev_01m8bq5m4qscxt36jy5stb3j5h', 'temperature', 0, Date.UTC(2027, 0))).toHaveLength(2);
  });
});

describe('simulated signals', () => {
  it('are reproducible, on a fixed grid, in range, and follow a daily cycle', () => {
    const id = 'dev_0000000000aaaaaaaaaaaaaaaa';
    const day = Date.UTC(2026, 10, 25);
    const quiet = { spike: 0, fault: 0, glitch: 0, dropout: 0 };
    const a = new DeviceSignal(id, 'env-sensor', 1, quiet).readings(day, day + 10_000);
    expect(new DeviceSignal(id, 'env-sensor', 1, quiet).readings(day, day + 10_000)).toEqual(a);
    expect(a).toHaveLength(30);
    expect(a.filter((r) => r.metric === 'temperature').map((r) => r.ts)).toEqual(Array.from({ length: 10 }, (_, i) => day + i * 1000));
    // 16:00 in China (08:00 UTC) is warmer than 04:00 (20:00 UTC the day before).
    const at = (ts: number) => new DeviceSignal(id, 'env-sensor', 0.1, quiet).readings(ts, ts + 60_000).filter((r) => r.metric === 'temperature').map((r) => r.value);
    const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
    expect(mean(at(day + 8 * 3600_000)) - mean(at(day - 4 * 3600_000))).toBeGreaterThan(2 * PROFILES['env-sensor'].temperature!.daily - 1);
  });

  it('produce faults over the limit, glitches out of range and dropouts when asked to', () => {
    const id = 'dev_0000000000bbbbbbbbbbbbbbbb';
    const day = Date.UTC(2026, 10, 25);
    const faulty = new DeviceSignal(id, 'pump', 1, { spike: 0, fault: 1, glitch: 0, dropout: 0 }).readings(day, day + 5000);
    expect(faulty.some((r) => (r.metric === 'vibration' && r.value > 7.1) || (r.metric === 'pressure' && r.value > 10))).toBe(true);
    expect(new DeviceSignal(id, 'pump', 1, { spike: 0, fault: 0, glitch: 1, dropout: 0 }).readings(day, day + 2000).every((r) => r.value > 100)).toBe(true);
    const dropping = new DeviceSignal(id, 'pump', 1, { spike: 0, fault: 0, glitch: 0, dropout: 1 });
    expect(dropping.readings(day, day + 5000).length).toBeLessThan(6);
  });
});
