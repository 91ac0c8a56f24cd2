import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBody, encodeBody, parseMnsQueueEvent, parseMnsTopicEvent } from '#shared/contracts/mns-events';
import { ValidationError } from '#shared/errors';

const FIXTURES = join(__dirname, '..', 'fixtures', 'events');
const fixture = (path: string) => readFileSync(join(FIXTURES, path));

describe('MNS message bodies', () => {
  it('round-trip any text through base64', () => {
    for (const text of ['plain', '<xml> & "quotes"', '日本語 🎉', '{"a":[1,2]}', ' spaces ']) expect(decodeBody(encodeBody(text))).toBe(text);
  });

  it('leave text that is not canonical base64 of UTF-8 as it is', () => {
    for (const text of ['{"requestContext":{}}', 'hello world', 'abc', 'YQ', 'YR==', Buffer.from([0xff, 0xfe, 0x00]).toString('base64'), '']) expect(decodeBody(text)).toBe(text);
  });
});

describe('parseMnsQueueEvent', () => {
  it('reads an event-streaming batch (an array of CloudEvents)', () => {
    const messages = parseMnsQueueEvent(fixture('mns-queue/event-streaming-batch.json'));
    expect(messages.map((m) => m.messageId)).toEqual(['C6DB60D1574661357FA2272774450001', 'C6DB60D1574661357FA2272774450002']);
    expect(JSON.parse(messages[0]!.body)).toMatchObject({ deviceId: 'dev_01m8bq5m4qscxt36jy5stb3j5h' });
    expect(messages[0]!.subject).toBe('acs:mns:cn-hangzhou:1000000000000001:queues/iot-readings');
  });

  it('reads one event-driven CloudEvent and decodes a body the trigger left base64', () => {
    expect(parseMnsQueueEvent(fixture('mns-queue/event-driven-single.json'))).toEqual([
      { messageId: 'C6DB60D1574661357FA22772774AAAA', body: '{"orderId":"o1"}', subject: 'acs:mns:cn-hangzhou:1000000000000001:queues/dlq' },
    ]);
  });

  it('reads RawData (data objects only)', () => {
    expect(parseMnsQueueEvent(fixture('mns-queue/raw-data.json'))).toEqual([{ messageId: 'C6DB60D1574661357FA22772774BBBB', body: 'hello' }]);
  });

  it('refuses what is not an MNS queue event, naming the problem', () => {
    expect(() => parseMnsQueueEvent('not json')).toThrow(ValidationError);
    expect(() => parseMnsQueueEvent(JSON.stringify([{ id: 'x', type: 'oss:ObjectCreated:PutObject' }]))).toThrow(ValidationError);
  });
});

describe('parseMnsTopicEvent', () => {
  it('reads STREAM with attributes', () => {
    expect(parseMnsTopicEvent(fixture('mns-topic/stream-with-attributes.json'))).toEqual({ body: '{"alert":"temp-high"}', attributes: { Extend: '{"key":"value"}' } });
  });

  it('reads STREAM without attributes (the body itself)', () => {
    expect(parseMnsTopicEvent(Buffer.from(encodeBody('{"alert":1}')))).toEqual({ body: '{"alert":1}', attributes: {} });
    expect(parseMnsTopicEvent('plain text body')).toEqual({ body: 'plain text body', attributes: {} });
  });

  it('reads JSON with its metadata and the attributes merged in', () => {
    expect(parseMnsTopicEvent(fixture('mns-topic/json-with-attributes.json'))).toEqual({
      body: '{"alert":"temp-high"}',
      attributes: { key: 'value' },
      messageId: '2F5B3C082B923D4EAC694B76D9280001',
      topic: 'alerts',
      tag: 'critical',
      publishTime: 1795608000040,
    });
  });

  it('takes a JSON body that merely looks like an object for the body itself', () => {
    const body = JSON.stringify({ body: 'x', other: 1 });
    expect(parseMnsTopicEvent(body)).toEqual({ body, attributes: {} });
  });
});
