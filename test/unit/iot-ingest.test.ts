import { ReadingsMessage, type IngestResponse } from '#shared/contracts/iot';
import { T } from '#shared/iot/rows';
import type { BatchSendResult, QueueMessageInput } from '#shared/ports/queue';
import { INF_MAX, INF_MIN } from '#shared/ports/table';
import { DeviceCache, DeviceRateLimiter, ingest, MAX_MESSAGE_JSON_BYTES, toMessages, type IngestDeps } from '../../functions/iot-ingest/core';
import { rotateSecret } from '../../functions/iot-devices/core';
import { FakeQueue } from '../helpers/fake-messaging';
import { iotWorld, signed, refusal } from '../helpers/iot';

const QUEUE = 'iot-readings';

async function setup() {
  const world = iotWorld();
  const queue = new FakeQueue(() => world.clock.now());
  const deps: IngestDeps = { table: world.table, queue, queueName: QUEUE, clock: world.clock, secrets: world.secrets, devices: new DeviceCache(world.clock) };
  const device = await world.register({ name: 'greenhouse', type: 'env-sensor' });
  const post = (body: unknown, options: { timestamp?: number; headers?: Record<string, string>; as?: { deviceId: string; secret: string } } = {}) => {
    const request = signed(options.as ?? device, body, options.timestamp ?? world.clock.now());
    return ingest({ headers: { ...request.headers, ...options.headers }, body: request.body, requestId: `req-${Math.random()}` }, deps);
  };
  const queued = () => queue.messages(QUEUE).map((m) => ReadingsMessage.parse(JSON.parse(m.body)));
  const replayRows = async () => (await world.table.getRange(T.requests, { start: { deviceId: INF_MIN, signature: INF_MIN }, end: { deviceId: INF_MAX, signature: INF_MAX } })).rows;
  return { ...world, queue, deps, device, post, queued, replayRows };
}

describe('iot-ingest', () => {
  it('accepts a signed batch and queues it as one message in one BatchSendMessage call', async () => {
    const { post, clock, queued, queue, device } = await setup();
    const now = clock.now();
    const result: IngestResponse = await post({ readings: [{ ts: now - 2000, metric: 'temperature', value: 21.5 }, { ts: now - 2000, metric: 'humidity', value: 40, seq: 7 }, { ts: now - 1000, metric: 'temperature', value: 71, unit: '°F' }] });
    expect(result).toEqual({ accepted: 3, rejected: [] });
    expect(queue.calls.filter((c) => c.op === 'sendBatch')).toEqual([{ op: 'sendBatch', queue: QUEUE, count: 1 }]);
    const [message] = queued();
    expect(message).toMatchObject({ v: 1, deviceId: device.deviceId, deviceType: 'env-sensor', receivedAt: now });
    // Units are converted by the ETL, so the message carries what the device sent, grouped by metric and unit.
    expect(message!.groups).toEqual([
      { metric: 'temperature', points: [[now - 2000, 21.5]] },
      { metric: 'humidity', points: [[now - 2000, 40, 7]] },
      { metric: 'temperature', unit: '°F', points: [[now - 1000, 71]] },
    ]);
  });

  it('lists readings it will not store, with the reason, and queues the rest', async () => {
    const { post, clock, queued } = await setup();
    const now = clock.now();
    const result = await post({
      readings: [
        { ts: now, metric: 'temperature', value: 20 },
        { ts: now, metric: 'voltage', value: 230 },
        { ts: now, metric: 'humidity', value: 140 },
        { ts: now, metric: 'temperature', value: 20, unit: 'furlong' },
        { ts: now - 25 * 3600_000, metric: 'co2', value: 600 },
        { ts: now + 10 * 60_000, metric: 'co2', value: 600 },
        { ts: now, metric: 'temperature', value: 21 },
        { ts: now, metric: 'co2', value: 650 },
      ],
    });
    expect(result.accepted).toBe(2);
    expect(result.rejected.map((r) => [r.index, r.reason])).toEqual([
      [1, 'unknown-metric'],
      [2, 'out-of-range'],
      [3, 'unknown-unit'],
      [4, 'ts-too-old'],
      [5, 'ts-in-future'],
      [6, 'duplicate'],
    ]);
    expect(result.rejected[0]!.detail).toBe('an env-sensor reports temperature, humidity, co2');
    expect(queued()[0]!.groups.flatMap((g) => g.points)).toEqual([
      [now, 20],
      [now, 650],
    ]);
  });

  it('reads a signed body that starts with a UTF-8 byte order mark, the signature covering the mark (D127)', async () => {
    const { post, clock, queued } = await setup();
    const result = await post(`\ufeff${JSON.stringify({ readings: [{ ts: clock.now(), metric: 'temperature', value: 21 }] })}`);
    expect(result).toEqual({ accepted: 1, rejected: [] });
    expect(queued()).toHaveLength(1);
  });

  it('queues nothing when every reading is rejected, and still answers 202', async () => {
    const { post, clock, queue } = await setup();
    expect(await post({ readings: [{ ts: clock.now(), metric: 'rpm', value: 1 }] })).toMatchObject({ accepted: 0 });
    expect(queue.calls.filter((c) => c.op === 'sendBatch')).toHaveLength(0);
  });

  describe('refuses, names the field and stores nothing', () => {
    const cases: [string, (s: Awaited<ReturnType<typeof setup>>) => Promise<unknown>, number, string, string][] = [
      ['a body changed after signing', (s) => {
        const r = signed(s.device, { readings: [{ ts: s.clock.now(), metric: 'temperature', value: 20 }] }, s.clock.now());
        return ingest({ headers: r.headers, body: Buffer.from(r.body.toString().replace('20', '90')), requestId: 'r' }, s.deps);
      }, 401, 'InvalidSignature', 'headers.x-signature'],
      ['a signature made with another secret', (s) => s.post({ readings: [] }, { as: { ...s.device, secret: 'not-the-secret' } }), 401, 'InvalidSignature', 'headers.x-signature'],
      ['a signature that is not hex', (s) => s.post({ readings: [] }, { headers: { 'x-signature': 'zz' } }), 401, 'InvalidSignature', 'headers.x-signature'],
      ['a stale timestamp', (s) => s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', value: 1 }] }, { timestamp: s.clock.now() - 5 * 60_000 - 1 }), 401, 'StaleTimestamp', 'headers.x-timestamp'],
      ['a timestamp from the future', (s) => s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', value: 1 }] }, { timestamp: s.clock.now() + 6 * 60_000 }), 401, 'StaleTimestamp', 'headers.x-timestamp'],
      ['a timestamp in seconds', (s) => s.post({ readings: [] }, { headers: { 'x-timestamp': String(Math.floor(s.clock.now() / 1000)) } }), 401, 'InvalidTimestamp', 'headers.x-timestamp'],
      ['no device id', (s) => s.post({ readings: [] }, { headers: { 'x-device-id': '' } }), 401, 'MissingDeviceId', 'headers.x-device-id'],
      ['an unknown device', (s) => s.post({ readings: [] }, { as: { deviceId: 'dev_0000000000zzzzzzzzzzzzzzzz', secret: 'x' } }), 401, 'UnknownDevice', 'headers.x-device-id'],
      ['malformed JSON', (s) => s.post('{"readings": [', {}), 400, 'ValidationError', 'body'],
      ['NaN (not JSON)', (s) => s.post(`{"readings":[{"ts":${s.clock.now()},"metric":"co2","value":NaN}]}`), 400, 'ValidationError', 'body'],
      ['Infinity (1e999)', (s) => s.post(`{"readings":[{"ts":${s.clock.now()},"metric":"co2","value":1e999}]}`), 400, 'ValidationError', 'body.readings.0.value'],
      ['a string for a number', (s) => s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', value: '612' }] }), 400, 'ValidationError', 'body.readings.0.value'],
      ['ts in seconds', (s) => s.post({ readings: [{ ts: Math.floor(s.clock.now() / 1000), metric: 'co2', value: 600 }] }), 400, 'ValidationError', 'body.readings.0.ts'],
      ['an unknown field', (s) => s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', val: 600 }] }), 400, 'ValidationError', 'body.readings.0.val'],
      ['no readings', (s) => s.post({ readings: [] }), 400, 'ValidationError', 'body.readings'],
      ['more than 500 readings', (s) => s.post({ readings: Array.from({ length: 501 }, (_, i) => ({ ts: s.clock.now() - i, metric: 'co2', value: 600 })) }), 400, 'ValidationError', 'body.readings'],
      ['an oversize body', (s) => s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', value: 600, unit: 'x'.repeat(300_000) }] }), 413, 'PayloadTooLarge', 'body'],
    ];
    it.each(cases)('%s', async (_name, send, status, code, path) => {
      const s = await setup();
      const err = await refusal(send(s));
      expect({ status: err.status, code: err.code }).toEqual({ status, code });
      expect(err.details?.map((d) => d.path)).toContain(path);
      expect(err.message.length).toBeGreaterThan(10);
      if (_name.startsWith('NaN')) expect(err.message).toContain('JSON has no NaN or Infinity');
      expect(s.queue.messages(QUEUE)).toHaveLength(0);
      expect(await s.replayRows()).toHaveLength(0);
    });
  });

  it('answers 409 to a replayed request and queues its readings once', async () => {
    const { deps, device, clock, queue } = await setup();
    const request = signed(device, { readings: [{ ts: clock.now(), metric: 'co2', value: 700 }] }, clock.now());
    await ingest({ ...request, requestId: 'a' }, deps);
    clock.advance(1000);
    const err = await refusal(ingest({ ...request, requestId: 'b' }, deps));
    expect({ status: err.status, code: err.code, path: err.details?.[0]?.path }).toEqual({ status: 409, code: 'ReplayedRequest', path: 'headers.x-signature' });
    expect(queue.messages(QUEUE)).toHaveLength(1);
  });

  it('lets the device send the same signed request again when the queue refused it', async () => {
    const s = await setup();
    let refuse = true;
    const sendBatch = s.queue.sendBatch.bind(s.queue);
    s.queue.sendBatch = async (queue: string, messages: QueueMessageInput[]): Promise<BatchSendResult[]> =>
      refuse ? messages.map(() => ({ ok: false as const, code: 'QueueNotExist', message: 'injected' })) : sendBatch(queue, messages);
    const request = signed(s.device, { readings: [{ ts: s.clock.now(), metric: 'co2', value: 700 }] }, s.clock.now());
    const err = await refusal(ingest({ ...request, requestId: 'a' }, s.deps));
    expect(err.status).toBe(503);
    expect(await s.replayRows()).toHaveLength(0);
    refuse = false;
    expect(await ingest({ ...request, requestId: 'b' }, s.deps)).toEqual({ accepted: 1, rejected: [] });
  });

  it('splits a large request into messages that fit MNS limits', async () => {
    const { post, clock, queue, queued } = await setup();
    const now = clock.now();
    const readings = Array.from({ length: 500 }, (_, i) => ({ ts: now - i * 10, metric: 'temperature', value: 20 + i / 1000, seq: 1_000_000 + i, unit: '°C' }));
    expect(await post({ readings })).toEqual({ accepted: 500, rejected: [] });
    const bodies = queue.messages(QUEUE).map((m) => m.body);
    for (const body of bodies) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_MESSAGE_JSON_BYTES);
    expect(queued().flatMap((m) => m.groups.flatMap((g) => g.points))).toHaveLength(500);

    const many = toMessages({ deviceId: 'dev_01', type: 'pump' }, Array.from({ length: 5000 }, (_, i) => ({ ts: 1e12 + i, metric: `m${i % 7}`, value: i * 1.123456789, seq: i })), 'r', 1e12);
    expect(many.length).toBeGreaterThan(2);
    for (const body of many) expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_MESSAGE_JSON_BYTES);
    // The size is counted exactly: a message is cut only when the next point (and its group) would not fit.
    for (const body of many.slice(0, -1)) expect(Buffer.byteLength(body)).toBeGreaterThan(MAX_MESSAGE_JSON_BYTES - 120);
    expect(many.flatMap((b) => (JSON.parse(b) as { groups: { points: unknown[] }[] }).groups.flatMap((g) => g.points))).toHaveLength(5000);
  });

  it('takes a rotated secret at once and refuses the old one', async () => {
    const s = await setup();
    await s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', value: 700 }] });
    const rotated = await rotateSecret(s.device.deviceId, { table: s.table, clock: s.clock, secrets: s.secrets });
    s.clock.advance(10);
    expect(await s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', value: 701 }] }, { as: rotated })).toMatchObject({ accepted: 1 });
    s.clock.advance(60_001);
    const err = await refusal(s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', value: 702 }] }));
    expect(err.code).toBe('InvalidSignature');
  });

  it('answers 429 to a device that sends far more requests than devices do', async () => {
    const s = await setup();
    s.deps.limiter = new DeviceRateLimiter(1, 3);
    const send = () => s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', value: 700 }] });
    for (let i = 0; i < 3; i++) {
      s.clock.advance(1);
      await send();
    }
    s.clock.advance(1);
    // One request a second: the next token is about a second away.
    expect(await refusal(send())).toMatchObject({ status: 429, retryAfterSeconds: 1 });
    // A bad signature does not use up the device's allowance.
    s.clock.advance(1000);
    await refusal(s.post({ readings: [] }, { as: { ...s.device, secret: 'forged' } }));
    expect(await send()).toMatchObject({ accepted: 1 });
  });

  it('reads a device from the table once per minute, not once per request', async () => {
    const s = await setup();
    let reads = 0;
    const getRow = s.table.getRow.bind(s.table);
    s.table.getRow = (...args: Parameters<typeof getRow>) => {
      reads += 1;
      return getRow(...args);
    };
    for (let i = 0; i < 5; i++) {
      s.clock.advance(1000);
      await s.post({ readings: [{ ts: s.clock.now(), metric: 'co2', value: 700 }] });
    }
    expect(reads).toBe(1);
  });
});
